"""rolloutviz: the Django project and app that serves the rollout simulator."""
