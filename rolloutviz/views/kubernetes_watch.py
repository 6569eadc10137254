"""Watches of the Kubernetes API (``?watch=true``): the request is checked like any other, then
answered with a chunked stream of JSON lines, one watch event each, flushed as it is made
(`rolloutviz.services.kubernetes_watch`). The view holds no thread while the stream waits: it
is async, and the checks run in a worker thread before the stream starts.
"""
from __future__ import annotations

import logging
from typing import AsyncIterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from rolloutviz import runner
from rolloutviz.services import kubernetes, kubernetes_watch
from rolloutviz.services.kubernetes import RequestInfo
from rolloutviz.views.errors import unexpected
from rolloutviz.views.kubernetes import NO_BUFFERING, TABLE_CONTENT_TYPE, caller_of, failure, table_version

logger = logging.getLogger(__name__)


def _open(request: HttpRequest, simulation_id: int, info: RequestInfo) -> kubernetes_watch.Watch:
    caller = caller_of(request, simulation_id, info)
    return kubernetes_watch.open_watch(
        caller=caller, authorization=request.headers.get("Authorization", ""), info=info, query=request.GET,
        table_version=table_version(request.headers.get("Accept", "")),
        offset=kubernetes.clock_offset(caller, request.headers.get("Kubectl-Session", "")))


async def watch(request: HttpRequest, simulation_id: int, info: RequestInfo) -> HttpResponse:
    """A watch: a Status if it is refused, else its stream."""
    try:
        opened = await runner.in_thread(_open)(request, simulation_id, info)
    except Exception as error:  # noqa: BLE001 - every refusal and failure is a Status
        return await runner.in_thread(failure)(request, error)
    content_type = TABLE_CONTENT_TYPE.format(opened.table) if opened.table else "application/json"
    return StreamingHttpResponse(_guarded(request, kubernetes_watch.events(opened)), content_type=content_type,
                                 headers=NO_BUFFERING)


async def _guarded(request: HttpRequest, lines: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The stream's lines; a failure on the way ends it with an ERROR event whose Status names
    the reference logged with the traceback (the headers have gone out already).

    An empty chunk comes first: Daphne sends the headers with the first chunk, and a client
    waits for them before it treats the watch as open (client-go's request to watch cannot be
    cancelled before: ``kubectl rollout status`` would hang on a quiet watch after it is done),
    as an API server flushes them at once."""
    yield b""
    try:
        async for line in lines:
            yield line
    except Exception as error:  # noqa: BLE001 - the client hears why its watch ended
        answer = await runner.in_thread(unexpected)(request, error)
        yield b'{"type":"ERROR","object":' + answer.content + b"}\n"
