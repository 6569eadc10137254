"""HTTP requests borrow kept threads for their sync parts (rolloutviz/request_threads.py): one after
another they reuse one, side by side each has its own, and a thread still busy with a request that
went away is lent to nobody."""
import asyncio
import threading

from asgiref.sync import sync_to_async

from rolloutviz.request_threads import with_kept_threads


def sync_app(work):
    """An ASGI app whose request runs ``work()`` thread-sensitively (as Django runs a sync view)."""
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(await sync_to_async(work)()).encode()})
    return app


async def request(app) -> int:
    sent = []

    async def send(message):
        sent.append(message)

    await app({"type": "http"}, None, send)
    return int(sent[-1]["body"])


async def test_requests_one_after_another_reuse_a_thread():
    app = with_kept_threads(sync_app(threading.get_ident))
    first = await request(app)
    await asyncio.sleep(0.05)  # (given back once its work is done)
    assert await request(app) == first != threading.get_ident()


async def test_requests_side_by_side_each_have_their_own_thread():
    both = threading.Barrier(2, timeout=10)

    def meet():
        both.wait()  # (two requests in one thread would never meet)
        return threading.get_ident()

    app = with_kept_threads(sync_app(meet))
    first, second = await asyncio.gather(request(app), request(app))
    assert first != second


async def test_a_thread_still_running_a_cancelled_request_is_not_lent():
    release, slow_thread = threading.Event(), []

    def slow():
        slow_thread.append(threading.get_ident())
        release.wait(10)
        return 0

    cancelled = asyncio.ensure_future(request(with_kept_threads(sync_app(slow))))
    while not slow_thread:
        await asyncio.sleep(0.01)
    cancelled.cancel()
    await asyncio.gather(cancelled, return_exceptions=True)
    try:  # answered while the slow one still runs: in another thread, not queued behind it
        assert await asyncio.wait_for(request(with_kept_threads(sync_app(threading.get_ident))), 5) != slow_thread[0]
    finally:
        release.set()
