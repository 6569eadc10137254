"""rolloutviz's simulator: a deterministic, pure-Python Kubernetes Deployment, ReplicaSet,
scheduler and kubelet simulation (see README.md, "Simulator")."""
from simulator.cluster import Cluster
from simulator.errors import EngineStuck, ValidationError

__all__ = ["Cluster", "EngineStuck", "ValidationError"]
