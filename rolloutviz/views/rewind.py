"""GET /api/simulations/<id>/state?t=|seq=: the simulation's state as it was at a past moment, and
GET …/deltas?after=&upto=: the recorded deltas a page plays back from there
(`rolloutviz.services.rewind`). The views' checks are `api.endpoint`'s (view role); they run in a
thread of their own, not the one Django's sync views share, so a long seek holds up no other request
— as do the API's views that take a moment too (kubectl and explanations with ``t``/``seq``, copy)."""
from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from rolloutviz import runner
from rolloutviz.services import rewind
from rolloutviz.services.errors import InvalidInput
from rolloutviz.views import api
from rolloutviz.views.api import endpoint


def moment(simulation_id: int, query) -> int:
    """The seq a request's ``?t=`` or ``?seq=`` names (`rewind.parse_moment`, `rewind.resolve`)."""
    t, seq = rewind.parse_moment(t=query.get("t"), seq=query.get("seq"))
    return rewind.resolve(simulation_id, t=t, seq=seq)


@endpoint("GET")
def _state(request: HttpRequest, sim_id: int) -> HttpResponse:
    seq = moment(sim_id, request.GET)
    return HttpResponse(rewind.state_text_at(simulation_id=sim_id, seq=seq), content_type="application/json")


_state_in_thread = runner.in_thread(_state)


@csrf_exempt
async def simulation_state(request: HttpRequest, sim_id: int) -> HttpResponse:
    """GET simulations/<id>/state?t=<seconds> or ?seq=<n>: what GET simulations/<id>/ answered then."""
    return await _state_in_thread(request, sim_id=sim_id)


def _seq(query, name: str) -> int:
    value = query.get(name, "")
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise InvalidInput(f"{name}: Invalid value: {value!r}: must be a seq (a non-negative integer)", field=name)
    return int(value)


@endpoint("GET")
def _deltas(request: HttpRequest, sim_id: int) -> HttpResponse:
    text = rewind.deltas_text(sim_id, after=_seq(request.GET, "after"), upto=_seq(request.GET, "upto"))
    return HttpResponse(text, content_type="application/json")


_deltas_in_thread = runner.in_thread(_deltas)


@csrf_exempt
async def simulation_deltas(request: HttpRequest, sim_id: int) -> HttpResponse:
    """GET simulations/<id>/deltas?after=<seq>&upto=<seq>: recorded deltas, as published, for a playback."""
    return await _deltas_in_thread(request, sim_id=sim_id)


def _apart_when_rewound(view, always: bool = False):
    """The sync API ``view`` as an async one that runs in a thread of its own when its request names
    a past moment (``t`` or ``seq`` in the query; ``always``: every request), else as Django runs
    sync views."""
    apart, shared = runner.in_thread(view), sync_to_async(view, thread_sensitive=True)

    @csrf_exempt
    async def dispatch(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        rewound = always or "t" in request.GET or "seq" in request.GET
        return await (apart if rewound else shared)(request, *args, **kwargs)

    dispatch.__doc__ = view.__doc__
    return dispatch


simulation_kubectl = _apart_when_rewound(api.simulation_kubectl)
simulation_explanations = _apart_when_rewound(api.simulation_explanations)
simulation_copy = _apart_when_rewound(api.simulation_copy, always=True)  # the body may name a moment
