"""The controllers: Deployment, ReplicaSet, scheduler and node lifecycle, each reacting to the store's work queue."""
