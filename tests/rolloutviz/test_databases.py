"""The live runner's storage on every database it supports: SQLite and PostgreSQL.

The checks run in a server process of their own (`command_probe`, `manage.py shell`) on the
database under test, with the test's own process on SQLite.
"""
import json

import psycopg
import pytest

from live_servers import database, django, postgres, serializable_by_default, server_env  # noqa: F401

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {note: "%s"}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: "nginx:1.14.2"}]
"""
APPLIED = [["apply", {"source": MANIFEST % "plain"}]]
STORE_REFUSED = "the simulation's database cannot store it"

# name: (set-up commands, command, args, expected error text, expected field)
NUL_CASES = {
    # Kubernetes keeps such a string; PostgreSQL's jsonb cannot ("unsupported Unicode escape
    # sequence"): the command failed with a database error (500) there and worked on SQLite.
    "an annotation holding a NUL (the YAML escape \\0)": (
        [], "apply", {"source": MANIFEST % "a\\0b"}, STORE_REFUSED, "metadata.annotations.note"),
    "an image holding a NUL": (
        APPLIED, "set_image", {"name": "web", "container": "app", "image": "nginx\x00"}, STORE_REFUSED,
        "spec.template.spec.containers[0].image"),
    # Refused by the YAML decoder; its record held the NUL, which PostgreSQL refused (a 500
    # instead of the 400 with the decoder's words).
    "a raw NUL in the manifest text": (
        [], "apply", {"source": "kind: Deployment\nmetadata: {name: \x00}\n"},
        "control characters are not allowed (character #x0000)", None),
    "a deployment name holding a NUL": (
        APPLIED, "scale", {"name": "web\x00", "replicas": 3}, 'deployments.apps "web\\x00" not found', None),
}


def probe(database, cases: dict) -> dict:
    env = server_env(database)
    django(env, "migrate", "--noinput")
    out = django(env, "shell", "-c", f"import command_probe; print(command_probe.run({json.dumps(cases)!r}))")
    return json.loads(out.strip().splitlines()[-1])


def test_a_command_whose_outcome_holds_a_nul_character_is_refused_alike_and_changes_nothing(database):
    cases = {name: {"setup": setup, "command": command, "args": args}
             for name, (setup, command, args, _, _) in NUL_CASES.items()}
    report = probe(database, cases)
    for name, (setup, command, _, error, field) in NUL_CASES.items():
        got = report[name]
        assert got["error"] is not None and error in got["error"], (name, got)
        assert field is None or got["fields"] == [field], (name, got)
        assert got["unchanged"] and got["reloads_the_same"], (name, got)
        assert got["records"] == [[c, True] for c, _ in setup] + [[command, False]], (name, got)
        assert got["seq_after_steps"] == len(setup) + 2, (name, got)


@pytest.mark.postgres
def test_sessions_read_committed_whatever_the_server_default(postgres):
    url = postgres.new_database()
    serializable_by_default(url)
    with psycopg.connect(url) as connection:
        assert connection.execute("SHOW transaction_isolation").fetchone()[0] == "serializable"
    out = django(server_env(url), "shell", "-c", "from django.db import connection, transaction\n"
                 "with transaction.atomic():\n"
                 "    print(connection.cursor().execute('SHOW transaction_isolation').fetchone()[0])\n"
                 "print(connection.cursor().execute('SHOW transaction_isolation').fetchone()[0])")
    assert out.strip().splitlines()[-2:] == ["read committed", "read committed"]
