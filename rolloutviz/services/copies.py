"""A simulation copied into someone's sandbox: the same state and the same recorded history under
a new id, owned by whoever asked, its clock paused, so a student experiments without touching
the class's demo.

The records are copied inside the database (``INSERT … SELECT``), never through Python, so a
long history costs one statement per table; the only field that names the simulation inside a
stored delta, ``sim``, is rewritten on the way with the database's own JSON function.

A copy *at* a past moment (a branch from a rewound page, `rewind.copy_at`) takes the records up to
it and starts from the engine as it was then (stored as a snapshot at that seq when the source has
none there), so it continues exactly as the source did.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from rolloutviz.models import CommandRecord, Deployment, Revision, Simulation, Snapshot, TickRecord
from rolloutviz.services.errors import NotFound
from rolloutviz.services.mirror import sync_from_cluster

MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class Moment:
    """A past moment of the source to copy it at: its seq and simulated time, the clock's speed then,
    the index of the last CommandRecord made by then, the engine then (a private `Cluster`) and the
    Deployments' running manifest texts then."""

    seq: int
    t: float
    speed: float
    command_index: int
    cluster: object
    manifests: dict


def simulation_copy(*, simulation_id: int, owner_session: str = "", owner_user_id: int | None = None,
                    at: Moment | None = None) -> Simulation:
    """A paused copy of the simulation at its latest seq (or ``at`` a past moment), with its history
    up to there, owned as given."""
    if at is not None:
        return _copy_at(simulation_id, owner_session, owner_user_id, at)
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


def _copy_at(simulation_id: int, owner_session: str, owner_user_id: int | None, at: Moment) -> Simulation:
    with transaction.atomic():
        source = Simulation.objects.filter(pk=simulation_id).first()
        if source is None:
            raise NotFound(f"simulation {simulation_id} not found")
        copy = Simulation.objects.create(
            name=f"{source.name or 'simulation'} (from {at.t:g} s)"[:MAX_NAME_LENGTH], seed=source.seed,
            tick=source.tick, speed=at.speed, running=False, sim_time=at.t, seq=at.seq, demo=source.demo,
            owner_session=owner_session, owner_user_id=owner_user_id,
        )
        # the records are never changed once written: no lock is needed to read those up to the moment
        _copy_rows(TickRecord, source, copy, ["seq", "sim_time"], payload=True, upto=("seq", at.seq))
        _copy_rows(Snapshot, source, copy, ["seq", "sim_time", "state"], upto=("seq", at.seq))
        _copy_rows(CommandRecord, source, copy, ["index", "sim_time", "name", "label", "args", "outcome", "ok"],
                   upto=("index", at.command_index))
        if not Snapshot.objects.filter(simulation=copy, seq=at.seq).exists():
            Snapshot.objects.create(simulation=copy, seq=at.seq, sim_time=at.t, state=at.cluster.snapshot())
        sync_from_cluster(simulation=copy, cluster=at.cluster)
        for name, text in at.manifests.items():
            Deployment.objects.filter(simulation=copy, name=name).update(manifest=text)
    return copy


def _copy_rows(model, source: Simulation, copy: Simulation, fields: list[str], payload: bool = False,
               upto: tuple[str, int] | None = None) -> None:
    """Copy ``source``'s rows of ``model`` to ``copy`` in one statement (a delta's ``sim`` rewritten);
    ``upto`` (field, value): only the rows whose field is at most the value."""
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
    if upto is not None:
        sql += f" AND {quote(model._meta.get_field(upto[0]).column)} <= %s"
        params.append(upto[1])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _with_sim(column: str) -> str:
    """SQL for ``column`` (a stored delta) with its ``sim`` set to the parameter."""
    if connection.vendor == "postgresql":
        return f"jsonb_set({column}, '{{sim}}', to_jsonb(%s::bigint))"
    return f"json_set({column}, '$.sim', %s)"
