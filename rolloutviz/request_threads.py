"""Threads lent to Daphne's HTTP requests for their sync parts, kept between requests.

Django runs each request's sync code (sync views, the database work of signals, closing the
response) in a thread of that request's own: asgiref makes a thread per request and, at its end,
another to join it. Here a request borrows a kept single-thread executor instead (asgiref's
``ThreadSensitiveContext(executor=…)``, whose block Django's own context then joins), as a WSGI
server reuses its threads; Django still closes the database connection at the end of each request
(``CONN_MAX_AGE`` 0). An executor is lent again only once the work queued on it so far has
finished, so a cancelled request still running its view holds nobody else up.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext

KEPT = 32  # idle threads kept; a burst beyond them makes threads that end after their request

_idle: list[ThreadPoolExecutor] = []
_lock = threading.Lock()


def _lend() -> ThreadPoolExecutor:
    with _lock:
        if _idle:
            return _idle.pop()
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="rolloutviz-request")


def _give_back(executor: ThreadPoolExecutor) -> None:
    """Keep ``executor`` for the next request once what it was asked to do is done."""
    def done(_) -> None:
        with _lock:
            if len(_idle) < KEPT:
                _idle.append(executor)
                return
        executor.shutdown(wait=False)

    executor.submit(int).add_done_callback(done)  # (one thread, in order: runs after the request's work)


def with_kept_threads(application):
    """The ASGI ``application`` with each HTTP request's sync parts run in a kept thread."""
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return await application(scope, receive, send)
        executor = _lend()
        try:
            async with ThreadSensitiveContext(executor=executor):
                return await application(scope, receive, send)
        finally:
            _give_back(executor)

    return app
