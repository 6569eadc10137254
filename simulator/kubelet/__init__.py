"""The kubelet (pkg/kubelet): pod lifecycle, probes, back-off, and how simulated images behave."""
