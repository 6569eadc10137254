"""GET simulations/<id>/kubectl and …/explanations — the reads a class polls — answered without
holding a thread.

The checks and the small queries (`api.endpoint`'s principal and role, then for kubectl
`shared_reads.claim` for the current seq) run in one hop to a read thread with a kept database
connection (`rolloutviz.read_threads`); the answer is then awaited on the event loop from the
simulation's worker (a kubectl text computed once per seq and shared; the explanations are kept
per seq by the worker itself). A past moment (``t``/``seq``) still reads apart in a
thread of its own (`views.rewind`), and under WSGI (Django's test client) the view runs as Django
runs sync views, so it sees the caller's transaction.
"""
from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from rolloutviz.read_threads import in_read_thread
from rolloutviz.services import commands, explanations, kubectl, shared_reads
from rolloutviz.views import api, rewind
from rolloutviz.views.api import endpoint


@dataclass(frozen=True)
class Pending:
    """A checked read whose answer is still to be awaited: shared at its seq by ``claim`` (None: not
    shared here, or the simulation has just gone, so ``compute`` says so)."""

    claim: shared_reads.Claim | None
    compute: Callable[[], Awaitable]

    async def answer(self):
        if self.claim is None:
            return await self.compute()
        return await self.claim.settle_async(self.compute)


@endpoint("GET", remembered=True)  # needs only the role (polled: `permissions.remembered_role`)
def _kubectl_checked(request: HttpRequest, sim_id: int) -> Pending:
    invocation = kubectl.read_only(request.GET.get("args", ""))
    return Pending(shared_reads.claim(sim_id, kubectl.shared_key(invocation)),
                   functools.partial(commands.read_async, sim_id, kubectl.view_text, invocation))


_kubectl_checked_in_read_thread = in_read_thread(_kubectl_checked)


@endpoint("GET", remembered=True)
def _explanations_checked(request: HttpRequest, sim_id: int) -> Pending:
    return Pending(shared_reads.claim(sim_id, explanations.SHARED_KEY),
                   functools.partial(explanations.explanations_async, simulation_id=sim_id))


_explanations_checked_in_read_thread = in_read_thread(_explanations_checked)


async def _answered(request: HttpRequest, checked, sim_id: int, body) -> HttpResponse:
    """``checked`` (an endpoint) in a read thread, then its `Pending` answer awaited and shaped by ``body``."""
    pending = await checked(request, sim_id=sim_id)
    if isinstance(pending, HttpResponseBase):  # refused (404, 403, 401, 405, 400) or failed
        return pending
    try:
        answer = await pending.answer()
    except Exception as failure:  # noqa: BLE001 - every API answer is JSON, a 500 too
        return api.failure_response(request, failure)
    return JsonResponse(body(answer))


def _elsewhere(request: HttpRequest) -> bool:
    """Whether the request goes the sync way: a past moment (read apart in a thread of its own), or WSGI."""
    return not isinstance(request, ASGIRequest) or "t" in request.GET or "seq" in request.GET


@csrf_exempt
async def simulation_kubectl(request: HttpRequest, sim_id: int) -> HttpResponse:
    """GET simulations/<id>/kubectl?args=get+pods: a read-only kubectl text view (``&t=``/``&seq=``: at that moment)."""
    if _elsewhere(request):
        return await rewind.simulation_kubectl(request, sim_id=sim_id)
    return await _answered(request, _kubectl_checked_in_read_thread, sim_id, lambda text: {"text": text})


@csrf_exempt
async def simulation_explanations(request: HttpRequest, sim_id: int) -> HttpResponse:
    """GET simulations/<id>/explanations: why each Deployment's controller acts or waits, the running
    countdowns and the learner's notes, now (``?t=``/``?seq=``: at that moment)."""
    if _elsewhere(request):
        return await rewind.simulation_explanations(request, sim_id=sim_id)
    return await _answered(request, _explanations_checked_in_read_thread, sim_id, lambda answer: answer)
