"""Run commands on a fresh simulation in a server process and report what was stored (for test_databases.py).

Runs where the database under test is configured (`manage.py shell -c`), so a test process
on SQLite can look at PostgreSQL too. `run` takes and returns JSON text.
"""
import json

from rolloutviz.models import CommandRecord, Simulation
from rolloutviz.services import live


def _outcome(sim_id: int, command: str, args: dict) -> dict:
    try:
        live.execute(simulation_id=sim_id, command=command, args=args)
    except Exception as error:  # the refusal is what is reported
        return {"error": str(error), "fields": [e.field for e in getattr(error, "errors", [])]}
    return {"error": None, "fields": []}


def run(cases_json: str) -> str:
    """For each case ``{"setup": [[command, args]...], "command", "args"}``: what happened and what was stored."""
    report = {}
    for name, case in json.loads(cases_json).items():
        sim = Simulation.objects.create(name=name)
        for command, args in case["setup"]:
            live.execute(simulation_id=sim.id, command=command, args=args)
        before = live.state(simulation_id=sim.id)
        outcome = _outcome(sim.id, case["command"], case["args"])
        after = live.state(simulation_id=sim.id)
        live.forget(sim.id)  # as a restarted process: rebuilt from what the database holds
        reloaded = live.state(simulation_id=sim.id)
        live.advance(simulation_id=sim.id, steps=2)  # the simulation goes on
        report[name] = {
            **outcome,
            "unchanged": before["objects"] == after["objects"] and before["seq"] == after["seq"],
            "reloads_the_same": reloaded == after,
            "records": list(CommandRecord.objects.filter(simulation_id=sim.id).order_by("index")
                            .values_list("name", "ok")),
            "seq_after_steps": live.state(simulation_id=sim.id)["seq"],
        }
    return json.dumps(report)
