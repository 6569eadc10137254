"""Settings of the Daphne process the browser tests start: the project's, on a private SQLite file."""
import os

from rolloutviz.settings import *  # noqa: F401,F403
from rolloutviz.settings import SQLITE_DEFAULT

DATABASES = {"default": {**SQLITE_DEFAULT, "NAME": os.environ["ROLLOUTVIZ_BROWSER_DB"]}}
