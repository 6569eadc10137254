"""Markers read as people speak: the words of each command, and the words a recorded marker carries."""
import pytest

from rolloutviz import protocol, spoken
from rolloutviz.models import Simulation
from rolloutviz.services import commands, live


@pytest.mark.parametrize("command, args, label, words", [
    ("set_image", {"name": "web", "container": "app", "image": "nginx:1.16.1"}, "", "set image nginx:1.16.1"),
    ("scale", {"name": "web", "replicas": 5}, "", "scale to 5"),
    ("rollout_undo", {"name": "web", "to_revision": 0}, "", "rollout undo"),
    ("rollout_undo", {"name": "web", "to_revision": 2}, "", "rollout undo to revision 2"),
    ("rollout_pause", {"name": "web"}, "", "pause"),
    ("rollout_resume", {"name": "web"}, "", "resume"),
    ("rollout_restart", {"name": "web"}, "", "rollout restart"),
    ("delete_pod", {"name": "web-7d4b9-x2x4q"}, "", "delete pod web-7d4b9-x2x4q"),
    ("set_node_ready", {"node_name": "node-1", "ready": False}, "", "node node-1 down"),
    ("set_node_ready", {"node_name": "node-1", "ready": True}, "", "node node-1 up"),
    ("send_traffic", {"service": "web", "rate": 20.0, "path": "/"}, "", "send 20/s to web"),
    ("send_traffic", {"service": "web", "rate": 0, "path": "/"}, "", "stop traffic to web"),
    ("apply", {"source": "…"}, "", "apply"),
    ("patch", {"body": {}}, "kubectl set image", "set image"),
    ("patch", {"body": {}}, "patch deployments.apps", "patch deployments.apps"),
    ("evict", {}, "", "evict"),
], ids=lambda v: v if isinstance(v, str) and v else None)
def test_command_words(command, args, label, words):
    assert spoken.command_words(command, args, label) == words


@pytest.mark.parametrize("running, speed, words", [
    (True, None, "play"), (False, None, "pause clock"), (None, 10.0, "speed 10×"), (None, 0.5, "speed 0.5×"),
    (True, 2.0, "play, speed 2×"),
])
def test_clock_words(running, speed, words):
    assert spoken.clock_words(running=running, speed=speed) == words


def test_words_are_sent_only_when_they_differ_from_the_label():
    assert "words" not in protocol.marker(t=0, label="apply", words="apply")
    assert protocol.marker(t=0, label="scale", words="scale to 5")["words"] == "scale to 5"


@pytest.mark.django_db(transaction=True)
def test_a_recorded_command_marker_carries_its_words(web_yaml):
    sim = Simulation.objects.create(name="words")
    try:
        live.execute(simulation_id=sim.id, command="apply", args={"source": web_yaml()})
        commands.deployment_set_image(simulation_id=sim.id, deployment="web", container="app", image="nginx:1.16.1")
        commands.deployment_scale(simulation_id=sim.id, deployment="web", replicas=5)
        markers = [m for m in live.state(simulation_id=sim.id)["timeline"]["markers"] if m["kind"] == "command"]
        assert [(m["label"], m.get("words")) for m in markers] == [
            ("apply", None), ("set_image", "set image nginx:1.16.1"), ("scale", "scale to 5")]
    finally:
        live.forget()
