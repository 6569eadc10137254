"""Objects as `kubectl get -o yaml` shows them, fetched on demand: one, or all of a kind.

The live stream carries what changed; a page or a script that wants whole objects asks here.
Each answer is read on the live copy without copying it (`live.read`) and encoded to JSON text
where the simulation lives, so it costs what it returns.
"""
from __future__ import annotations

import json

from rolloutviz.services.commands import read
from rolloutviz.services.errors import NotFound

# the API's plural -> the kind
KINDS = {"deployments": "Deployment", "replicasets": "ReplicaSet", "pods": "Pod", "nodes": "Node",
         "services": "Service", "endpointslices": "EndpointSlice", "endpoints": "Endpoints",
         "events": "Event"}


def objects_text(*, simulation_id: int, resource: str, name: str | None = None) -> str:
    """``{"items": [...]}`` of every object of ``resource`` (``pods``, …), or the one named ``name``,
    as JSON text; `NotFound` for an unknown resource or object."""
    kind = KINDS.get(resource)
    if kind is None:
        raise NotFound(f'the server doesn\'t have a resource type "{resource}"')
    text = read(simulation_id, encoded_objects, kind, name)
    if text is None:
        raise NotFound(f'{resource} "{name}" not found')
    return text


def encoded_objects(reader, kind: str, name: str | None) -> str | None:
    """The objects' JSON text (None: no object ``name``)."""
    if name is None:
        return json.dumps({"items": reader.list(kind)}, separators=(",", ":"))
    try:
        return json.dumps(reader.get(kind, name), separators=(",", ":"))
    except KeyError:
        return None
