"""Issue 11's end-to-end proof with a real Daphne on the embedded default (one process, its
worker pool, the in-memory layer, SQLite): a presenter's simulation at 10× with its page open,
while another session sends everything that used to stall it (`rolloutviz.abuse_scenario`).

Each bad request is refused with its 4xx and a Kubernetes-style error naming the field; the
presenter's page receives every delta, in seq order, with no snapshot after the first (nothing
it had to re-sync for) and its clock going on; the student's liveness simulation goes on too
(pods restart, CrashLoopBackOff). Timeouts only catch hangs: nothing here measures speed
(`python -m rolloutviz.bench abuse` does).
"""
import asyncio
import re

import pytest

from rolloutviz import abuse_scenario, protocol
from rolloutviz.live_client import Page
from rolloutviz.local_processes import DaphneServer, server_env

from live_servers import until

HANG = 180  # seconds: a generous guard against a hang on a shared machine, not a measure
MORE_STEPS = 20  # the presenter's ticks still to arrive after all the abuse was sent


@pytest.fixture
def server(tmp_path):
    """The embedded default, with its settings as `make run` has them."""
    with DaphneServer(server_env(tmp_path / "db.sqlite3"), tmp_path / "daphne.log") as daphne:
        yield daphne


def timeline_rows(page: Page) -> list[tuple[list, list]]:
    """(states, marks) of every pod row of the page's snapshots and deltas, as names and kinds
    (a snapshot's row lists all its segments and marks, a delta's what it adds)."""
    rows = []
    for _, message in page.messages:
        if message["type"] == "snapshot":
            rows += [(row[4][1::2], [mark[1] for mark in row[5]]) for row in message["state"]["timeline"]["pods"]]
        elif message["type"] == "delta":
            for row in message["timeline"]["pods"]:
                codes = row[1] if type(row[1]) is list else [] if row[1] is None else [row[1]]
                facts = row[2] if len(row) > 2 else {}
                rows.append((codes, [mark[0] for mark in facts.get("marks", ())]))
    return [([protocol.state_name(code) for code in codes], marks) for codes, marks in rows]


def pod_states(page: Page) -> set[str]:
    return {state for states, _ in timeline_rows(page) for state in states}


def pod_marks(page: Page) -> set[str]:
    return {mark for _, marks in timeline_rows(page) for mark in marks}


def seqs(page: Page) -> list[tuple[str, int]]:
    return [(m["type"], m["seq"]) for _, m in page.messages if m["type"] in ("snapshot", "delta")]


async def test_nobody_can_stall_the_presenter_or_the_students_liveness_demo(server):
    loop = asyncio.get_running_loop()
    async with abuse_scenario.abused(server.url) as scene:
        assert scene.failures == {}
        # The student's liveness simulation goes on while its own bad requests are refused.
        await until(lambda: "CrashLoopBackOff" in pod_states(scene.liveness),
                    "CrashLoopBackOff on the student's liveness page", HANG)
        # The presenter's clock goes on after all of it ...
        after_abuse = loop.time()
        await until(lambda: len(scene.presenter.steps(since=after_abuse)) >= MORE_STEPS,
                    f"{MORE_STEPS} more ticks on the presenter's page", HANG)
        presenter_state = await asyncio.to_thread(scene.presenter.api.call, "GET",
                                                  f"simulations/{scene.presenter_id}/")
        # ... and everything it committed reaches its page.
        await until(lambda: scene.presenter.latest() >= presenter_state["seq"],
                    "the presenter's page to reach the stored seq", HANG)
        liveness_state = await asyncio.to_thread(scene.student.call, "GET", f"simulations/{scene.liveness_id}/")

    # Each bad request: its 4xx, a Kubernetes-style error naming the field and the value.
    for answer in scene.answers:
        refusal = answer.refusal
        assert answer.status == refusal.status, (refusal.name, answer.body)
        [error] = answer.body["errors"]
        assert set(error) == {"field", "message", "line"}, refusal.name
        assert error["field"] == refusal.field, (refusal.name, error)
        assert str(refusal.value) in error["message"], (refusal.name, error)
    assert [a.refusal for a in scene.answers] == list(abuse_scenario.REFUSALS)
    # Refused means nothing changed: the liveness Deployment still asks for its 3 replicas.
    liveness = protocol.Viewer()
    liveness.load(liveness_state)
    [deployment] = liveness.objects("Deployment")
    assert deployment["spec"]["replicas"] == 3

    # The presenter's page: one snapshot, then every delta in seq order, no gap, never stalled.
    received = seqs(scene.presenter)
    assert received[0][0] == "snapshot" and [kind for kind, _ in received[1:]] == ["delta"] * (len(received) - 1), \
        "the presenter's page had to re-sync"
    first = received[0][1]
    assert [seq for _, seq in received] == list(range(first, first + len(received)))
    assert scene.presenter.of_type("status") == []
    ticks = [t for _, t in scene.presenter.steps()]
    assert ticks == sorted(set(ticks)), "the presenter's clock went back or repeated a tick"
    # Its clock moved while the abusive requests were being served, and after them.
    assert scene.presenter.steps(since=scene.abuse_started)[0][0] < scene.abuse_ended

    # The student's liveness simulation advanced: containers restarted, back-off shown, in order.
    assert "restart" in pod_marks(scene.liveness)
    student = seqs(scene.liveness)
    assert [seq for _, seq in student] == list(range(student[0][1], student[0][1] + len(student)))
    student_ticks = [t for _, t in scene.liveness.steps()]
    assert student_ticks == sorted(set(student_ticks)) and student_ticks[-1] > student_ticks[0]

    # No request failed on the server's side.
    log = server.log_path.read_text(errors="replace")
    assert not re.search(r'" 5\d\d \d', log), "a 5xx answer:\n" + server.log()
    assert "Traceback" not in log, server.log()
