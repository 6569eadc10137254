"""A simulation worker process: runs the jobs the pool sends it, one at a time.

Started by `rolloutviz.runner.pool` as ``python -m rolloutviz.runner.worker FD DELAY`` with one
end of a socket pair. It sets Django up (its own database connection), then runs each job it
receives and answers with the job's result or error, the layer messages it produced (for the
server process to publish) and the CPU time it took (the pool routes by it). The pool sends the
next job only after the answer: jobs wait, and take turns, there (`rolloutviz.runner.pool`).
"""
from __future__ import annotations

import pickle
import signal
import sys
import time
from multiprocessing.connection import Connection


def portable(error: BaseException) -> tuple:
    """``(class, args, attributes)`` of an error, which the pool rebuilds; a plain RuntimeError if unpicklable."""
    payload = (type(error), error.args, dict(getattr(error, "__dict__", {})))
    try:
        pickle.dumps(payload)
    except Exception:
        payload = (RuntimeError, (f"{type(error).__name__}: {error}",), {})
    return payload


def run_job(connection: Connection, job: tuple) -> None:
    """Run one job and send its answer."""
    from django.db import close_old_connections

    from rolloutviz import runner

    _, job_id, _, function, kwargs = job
    connection.send(("started", job_id))
    started = time.process_time()
    with runner.collecting() as messages:
        try:
            ok, payload = True, function(**kwargs)
        except Exception as error:
            ok, payload = False, portable(error)
    compute = time.process_time() - started
    close_old_connections()  # a connection broken by a database fault is reopened for the next job
    try:
        connection.send(("done", job_id, ok, payload, messages, compute))
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        unsendable = portable(RuntimeError(f"unsendable answer: {error}"))
        connection.send(("done", job_id, False, unsendable, messages, compute))


def serve(connection: Connection) -> None:
    """Run the jobs the pool sends, one at a time, until the server closes the connection."""
    while True:
        run_job(connection, connection.recv())


def main(fd: int, delay: float = 0.0) -> None:
    """Wait ``delay`` seconds (the workers before this one failed to start), set Django up and serve;
    exit quietly when the server goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the server stops us
    time.sleep(delay)
    import django

    django.setup()
    connection = Connection(fd)
    try:
        serve(connection)
    except (EOFError, OSError, KeyboardInterrupt):
        pass


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
