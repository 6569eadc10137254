"""resourceVersion parsing and where a watch starts: the watch cache's 410 rule
(watch_cache_history.go GetIntervalLocked) and APIObjectVersioner.ParseResourceVersion."""
import pytest

from simulator.api import resource_versions as rv
from simulator.api.status import StatusError


@pytest.mark.parametrize("text,value", [(None, 0), ("", 0), ("0", 0), ("7", 7), ("007", 7),
                                        (str(2**64 - 1), 2**64 - 1)])
def test_parse(text, value):
    assert rv.parse(text) == value


@pytest.mark.parametrize("text,problem", [
    ("abc", "invalid syntax"), ("-1", "invalid syntax"), ("+1", "invalid syntax"),
    ("1.5", "invalid syntax"), ("１", "invalid syntax"), (str(2**64), "value out of range"),
])
def test_parse_errors(text, problem):
    with pytest.raises(rv.InvalidResourceVersion) as raised:
        rv.parse(text)
    quoted = '"' + text + '"'
    assert raised.value.error.field == "resourceVersion"
    assert raised.value.error.message == (f"Invalid value: {quoted}: strconv.ParseUint: "
                                          f"parsing {quoted}: {problem}")


WATCH_STARTS = [
    ("unset", None, 10, rv.WatchStart(None)),
    ("zero", "0", 10, rv.WatchStart(None)),
    ("oldest-deliverable", "9", 10, rv.WatchStart(9)),
    ("inside-history", "15", 10, rv.WatchStart(15)),
    ("not-reached-yet", "99", 10, rv.WatchStart(99)),
    ("empty-history", "20", 21, rv.WatchStart(20)),
]


@pytest.mark.parametrize("requested,oldest,start", [c[1:] for c in WATCH_STARTS],
                         ids=[c[0] for c in WATCH_STARTS])
def test_watch_start(requested, oldest, start):
    assert rv.watch_start(requested, oldest) == start


@pytest.mark.parametrize("requested,oldest,message", [
    ("5", 11, "too old resource version: 5 (10)"),
    ("8", 10, "too old resource version: 8 (9)"),
])
def test_watch_from_before_the_history_is_expired(requested, oldest, message):
    with pytest.raises(StatusError) as raised:
        rv.watch_start(requested, oldest)
    assert raised.value.status == {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                   "status": "Failure", "message": message,
                                   "reason": "Expired", "code": 410}


def test_watch_start_rejects_bad_versions():
    with pytest.raises(rv.InvalidResourceVersion):
        rv.watch_start("x", 1)


def test_bookmark():
    assert rv.bookmark("Deployment", "apps/v1", 42) == {
        "type": "BOOKMARK",
        "object": {"kind": "Deployment", "apiVersion": "apps/v1",
                   "metadata": {"resourceVersion": "42", "creationTimestamp": None}}}
