"""The Deployment controller (pkg/controller/deployment): the sync loop, its strategies, progress and rollback, and its arithmetic."""
