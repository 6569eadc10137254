"""kube-proxy and the clients whose requests it routes."""
