"""A simulation worker process: runs the jobs of the simulations routed to it, fairly.

Started by `rolloutviz.runner.pool` as ``python -m rolloutviz.runner.worker FD DELAY`` with one
end of a socket pair. It sets Django up (its own database connection), then serves one queue per
simulation round-robin: one job of a simulation, then one of the next, so a simulation with a
long queue cannot delay the others by more than one job (and a clock's step job is itself cut
to a time slice). Each answer carries the job's result or error and the layer messages it
produced, for the server process to publish.
"""
from __future__ import annotations

import pickle
import signal
import sys
import time
from collections import OrderedDict, deque
from multiprocessing.connection import Connection


class RoundRobin:
    """Per-simulation job queues served in turn."""

    def __init__(self) -> None:
        self.queues: OrderedDict[int, deque] = OrderedDict()

    def add(self, simulation_id: int, job) -> None:
        self.queues.setdefault(simulation_id, deque()).append(job)

    def __bool__(self) -> bool:
        return bool(self.queues)

    def next(self):
        """The next job: the oldest of the simulation whose turn it is (that simulation goes last)."""
        simulation_id, queue = next(iter(self.queues.items()))
        job = queue.popleft()
        del self.queues[simulation_id]
        if queue:
            self.queues[simulation_id] = queue
        return job


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
    with runner.collecting() as messages:
        try:
            answer = ("done", job_id, True, function(**kwargs), messages)
        except Exception as error:
            answer = ("done", job_id, False, portable(error), messages)
    close_old_connections()  # a connection broken by a database fault is reopened for the next job
    try:
        connection.send(answer)
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        connection.send(("done", job_id, False, portable(RuntimeError(f"unsendable answer: {error}")), messages))


def serve(connection: Connection) -> None:
    """Receive jobs and run them round-robin until the server closes the connection."""
    jobs = RoundRobin()
    while True:
        while not jobs or connection.poll(0):  # take in everything already sent
            job = connection.recv()
            jobs.add(job[2], job)
        run_job(connection, jobs.next())


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
