"""GET simulations/<id>/kubectl — the read a class polls — answered without holding a thread.

The checks and the two or three small queries (`api.endpoint`'s principal and role, then
`shared_reads.claim` for the current seq) run in one hop to a read thread with a kept database
connection (`rolloutviz.read_threads`); the text is then awaited on the event loop, computed by the
simulation's worker once per seq and shared. A past moment (``t``/``seq``) still reads apart in a
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
from rolloutviz.services import commands, kubectl, shared_reads
from rolloutviz.views import api, rewind
from rolloutviz.views.api import endpoint


@dataclass(frozen=True)
class Pending:
    """A checked read whose text is still to be awaited: shared at its seq by ``claim`` (None: the
    simulation has just gone, so ``compute`` says so)."""

    claim: shared_reads.Claim | None
    compute: Callable[[], Awaitable[str]]

    async def text(self) -> str:
        if self.claim is None:
            return await self.compute()
        return await self.claim.settle_async(self.compute)


@endpoint("GET", remembered=True)  # needs only the role (polled: `permissions.remembered_role`)
def _kubectl_checked(request: HttpRequest, sim_id: int) -> Pending:
    invocation = kubectl.read_only(request.GET.get("args", ""))
    return Pending(shared_reads.claim(sim_id, kubectl.shared_key(invocation)),
                   functools.partial(commands.read_async, sim_id, kubectl.view_text, invocation))


_kubectl_checked_in_read_thread = in_read_thread(_kubectl_checked)


@csrf_exempt
async def simulation_kubectl(request: HttpRequest, sim_id: int) -> HttpResponse:
    """GET simulations/<id>/kubectl?args=get+pods: a read-only kubectl text view (``&t=``/``&seq=``: at that moment)."""
    if not isinstance(request, ASGIRequest) or "t" in request.GET or "seq" in request.GET:
        return await rewind.simulation_kubectl(request, sim_id=sim_id)
    pending = await _kubectl_checked_in_read_thread(request, sim_id=sim_id)
    if isinstance(pending, HttpResponseBase):  # refused (404, 403, 401, 405, 400) or failed
        return pending
    try:
        text = await pending.text()
    except Exception as failure:  # noqa: BLE001 - every API answer is JSON, a 500 too
        return api.failure_response(request, failure)
    return JsonResponse({"text": text})
