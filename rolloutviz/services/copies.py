"""A simulation copied into someone's sandbox: the same state and the same recorded history under
a new id, owned by whoever asked, its clock paused, so a student experiments without touching
the class's demo.

The records are copied inside the database (``INSERT … SELECT``), never through Python, so a
long history costs one statement per table; the only field that names the simulation inside a
stored delta, ``sim``, is rewritten on the way with the database's own JSON function.
"""
from __future__ import annotations

from django.db import connection, transaction

from rolloutviz.models import CommandRecord, Deployment, Revision, Simulation, Snapshot, TickRecord
from rolloutviz.services.errors import NotFound

MAX_NAME_LENGTH = 200


def simulation_copy(*, simulation_id: int, owner_session: str = "", owner_user_id: int | None = None) -> Simulation:
    """A paused copy of the simulation at its latest seq, with its history, owned as given."""
    with transaction.atomic():
        # The row lock keeps every commit (they compare-and-set this row) out while the records are read.
        source = Simulation.objects.select_for_update().filter(pk=simulation_id).first()
        if source is None:
            raise NotFound(f"simulation {simulation_id} not found")
        copy = Simulation.objects.create(
            name=f"{source.name or 'simulation'} (copy)"[:MAX_NAME_LENGTH], seed=source.seed, tick=source.tick,
            speed=source.speed, running=False, sim_time=source.sim_time, seq=source.seq, demo=source.demo,
            owner_session=owner_session, owner_user_id=owner_user_id,
        )
        _copy_rows(TickRecord, source, copy, ["seq", "sim_time"], payload=True)
        _copy_rows(Snapshot, source, copy, ["seq", "sim_time", "state"])
        _copy_rows(CommandRecord, source, copy, ["index", "sim_time", "name", "label", "args", "outcome", "ok"])
        for deployment in Deployment.objects.filter(simulation=source):
            revisions = list(deployment.revisions.all())
            deployment.pk, deployment.simulation = None, copy
            deployment.save()
            for revision in revisions:
                revision.pk, revision.deployment = None, deployment
            Revision.objects.bulk_create(revisions)
    return copy


def _copy_rows(model, source: Simulation, copy: Simulation, fields: list[str], payload: bool = False) -> None:
    """Copy ``source``'s rows of ``model`` to ``copy`` in one statement (a delta's ``sim`` rewritten)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [quote(model._meta.get_field(name).column) for name in fields]
    values = list(columns)
    if payload:
        columns.append(quote("payload"))
        values.append(_with_sim(quote("payload")))
    sql = (f"INSERT INTO {table} ({quote('simulation_id')}, {', '.join(columns)}) "
           f"SELECT %s, {', '.join(values)} FROM {table} WHERE {quote('simulation_id')} = %s")
    params = [copy.pk] + ([copy.pk] if payload else []) + [source.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _with_sim(column: str) -> str:
    """SQL for ``column`` (a stored delta) with its ``sim`` set to the parameter."""
    if connection.vendor == "postgresql":
        return f"jsonb_set({column}, '{{sim}}', to_jsonb(%s::bigint))"
    return f"json_set({column}, '$.sim', %s)"
