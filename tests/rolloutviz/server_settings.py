"""Settings for Daphne processes started by the restart and multi-process tests.

The project's settings (the SQLite file comes from ROLLOUTVIZ_SQLITE, shared by every process
of one test), with snapshots often enough that a restart also replays steps, and a short lease.
"""
from rolloutviz.settings import *  # noqa: F401,F403

SNAPSHOT_EVERY = 20
CLOCK_LEASE_SECONDS = 2.0
KUBERNETES_WATCH_BOOKMARK_SECONDS = 1.0  # a watch that asks for bookmarks gets one a second
