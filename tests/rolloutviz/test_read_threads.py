"""The read threads keep their database connection between calls and open a new one when the old
one is broken, left in a transaction, or old (rolloutviz/read_threads.py)."""
import pytest
from django.db import connection

from rolloutviz import read_threads
from rolloutviz.models import Simulation

pytestmark = pytest.mark.django_db(transaction=True)


def connection_used():
    """The DB-API connection a query used (the object itself: an id could be reused once it is freed)."""
    Simulation.objects.exists()
    return connection.connection


def broken() -> None:
    """A failed query on a connection that no longer answers (as PostgreSQL's after a restart; SQLite's always does)."""
    connection.errors_occurred = True
    connection.is_usable = lambda: False


def left_in_a_transaction() -> None:
    connection.set_autocommit(False)


# (name, what a call does to its thread's connection before the next call, whether it is kept)
CASES = {
    "nothing": (lambda: None, True),
    "broken": (broken, False),
    "left-in-a-transaction": (left_in_a_transaction, False),
}


@pytest.mark.parametrize("damage, kept", CASES.values(), ids=CASES.keys())
async def test_a_thread_keeps_its_connection_unless_it_is_unfit(monkeypatch, damage, kept):
    monkeypatch.setattr(read_threads, "_executor", read_threads.ThreadPoolExecutor(max_workers=1))
    first = await read_threads.in_read_thread(connection_used)()
    await read_threads.in_read_thread(damage)()
    assert (await read_threads.in_read_thread(connection_used)() is first) is kept


async def test_a_connection_is_reopened_when_it_is_old(monkeypatch):
    monkeypatch.setattr(read_threads, "_executor", read_threads.ThreadPoolExecutor(max_workers=1))
    first = await read_threads.in_read_thread(connection_used)()
    monkeypatch.setattr(read_threads, "CONNECTION_SECONDS", 0.0)
    assert await read_threads.in_read_thread(connection_used)() is not first
