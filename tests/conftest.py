"""Shared pytest fixtures for the whole suite (kept small)."""
import os

# Playwright's sync API runs an event loop in the main thread; Django would refuse ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
