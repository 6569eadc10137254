"""Settings for Daphne processes started by the restart and multi-process tests.

The project's settings, with the SQLite file from ROLLOUTVIZ_TEST_DB (shared by every process
of one test), snapshots often enough that a restart also replays steps, and a short lease.
"""
import os

from rolloutviz.settings import *  # noqa: F401,F403
from rolloutviz.settings import SQLITE_DEFAULT

DATABASES = {"default": {**SQLITE_DEFAULT, "NAME": os.environ["ROLLOUTVIZ_TEST_DB"]}}
SNAPSHOT_EVERY = 20
CLOCK_LEASE_SECONDS = 2.0
