"""A pool of worker processes that run simulation jobs, each simulation on the worker that owns it.

Routing is sticky: a simulation's jobs all go to one worker (its live copy stays warm there and
its jobs run in order); a simulation seen for the first time goes to the worker owning the
fewest. Jobs wait here, not in the worker: each worker is sent one job at a time, taken
round-robin from its simulations' queues (one job of a simulation, then one of the next), so a
simulation with a long queue delays the others on its worker by one job at most.

One job can still be long: a step, command or snapshot of a 5,000-pod simulation takes a second
or more and cannot be cut. Its simulation is then *heavy* for a while, and nobody waits behind
it: a simulation whose jobs would wait on a worker that runs a heavy one (or a job of another
simulation that has computed that long already) moves, with its waiting jobs in order, to a
worker without either when there is such a worker, and reloads from the database there; the
watchdog looks every `WATCH_INTERVAL`. The heavy simulation itself stays where its copy is warm.

Workers are plain subprocesses (``python -m rolloutviz.runner.worker``) joined by a socket pair:
nothing of this process is forked, and a worker can be killed at any moment. A reader thread per
worker turns answers into the callers' futures, hands the layer messages of each answer to
``publish`` in the order the worker produced them, and sends the worker its next job. The
watchdog kills a worker whose job overran the deadline; a dead worker is replaced at once, the
job it was running fails with `WorkerLost`, the jobs it had not started go to the replacement,
and its simulations reload from the database there.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import Future
from multiprocessing.connection import Connection
from pathlib import Path

from asgiref.sync import async_to_sync

logger = logging.getLogger(__name__)

WATCH_INTERVAL = 0.2  # seconds between two looks at the running jobs' ages
# A job that computes this long marks its simulation heavy, and holds its worker up while it runs
# (a clock's batch is cut at 50 ms of compute; only an indivisible step, command or snapshot of a
# huge simulation takes longer). CPU time, not wall time: a job waiting for the database's write
# lock, or for a CPU on a loaded machine, is not heavy, and light simulations must not bounce.
HEAVY_JOB_SECONDS = 0.25
HEAVY_FOR_SECONDS = 60.0  # a simulation stays heavy until this long after its last long job
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """The CPU time a process has used so far (Linux's /proc), or None where it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime + stime
    except (OSError, IndexError, ValueError):
        return None


class WorkerLost(RuntimeError):
    """The worker running a job died or overran its deadline; nothing of the job was committed unless its
    commit had finished (the database decides), and the simulation reloads from the database."""


def rebuild_error(cls, args, state):
    """An exception rebuilt without calling its ``__init__`` (whose signature pickling cannot know)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


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

    def take(self, simulation_id: int) -> list:
        """Remove a simulation's jobs, oldest first."""
        return list(self.queues.pop(simulation_id, ()))

    def simulations(self) -> list[int]:
        """The simulations with jobs waiting."""
        return list(self.queues)


class _Worker:
    """One worker process, its connection and the jobs routed to it."""

    def __init__(self, number: int, delay: float = 0.0) -> None:
        ours, theirs = socket.socketpair()
        self.number = number
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rolloutviz.runner.worker", str(theirs.fileno()), str(delay)],
            pass_fds=(theirs.fileno(),), env=os.environ.copy(),
        )
        theirs.close()
        self.connection = Connection(ours.detach())
        self.send_lock = threading.Lock()
        self.jobs: dict[int, tuple[Future, int, tuple]] = {}  # job id -> (future, simulation id, message)
        self.waiting = RoundRobin()  # ids of its jobs not sent yet, per simulation
        self.sent: int | None = None  # the one job sent and not answered yet
        self.running: tuple[int, float, float | None] | None = None  # (job id, when it started, CPU time then)
        self.simulations: set[int] = set()
        self.kill_reason: str | None = None
        self.answered = False  # a worker that dies before answering anything may not start at all

    def send(self, message: tuple) -> None:
        with self.send_lock:
            self.connection.send(message)

    def kill(self, reason: str) -> None:
        self.kill_reason = self.kill_reason or reason
        if self.process.poll() is None:
            self.process.kill()


class WorkerPool:
    """``size`` worker processes; `submit` runs a job for a simulation on the worker that owns it."""

    def __init__(self, size: int, *, deadline: float, loop: asyncio.AbstractEventLoop | None = None,
                 publish=None) -> None:
        self.deadline = deadline
        self.loop = loop
        self.publish = publish  # async (simulation_id, messages) -> None
        self.replacements = 0
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1)
        self._closed = False
        self._routes: dict[int, _Worker] = {}
        self._long_jobs: dict[int, float] = {}  # simulation id -> when its last long job ended
        self._failed_starts = 0  # workers in a row that died before answering (e.g. a broken setting)
        self._queue: asyncio.Queue | None = None
        self._publisher = None
        if loop is not None and publish is not None:
            self._queue = asyncio.Queue()
            self._publisher = asyncio.run_coroutine_threadsafe(self._publish_in_order(), loop)
        self.workers = [self._spawn() for _ in range(max(1, size))]
        threading.Thread(target=self._watch, name="simulation-worker-watchdog", daemon=True).start()

    # ------------------------------------------------------------ jobs

    def submit(self, simulation_id: int, function, kwargs: dict) -> Future:
        """Send ``function(**kwargs)`` to the worker owning ``simulation_id``; its future."""
        future: Future = Future()
        # Running from now on: a caller that stops waiting (a cancelled asyncio task cancels the
        # future it awaited) cannot cancel it, so the answer still finds it open.
        future.set_running_or_notify_cancel()
        with self._lock:
            if self._closed:
                raise WorkerLost("the server is shutting down")
            job_id = next(self._ids)
            worker = self._enqueue(job_id, (future, simulation_id, ("job", job_id, simulation_id, function, kwargs)))
            sending = self._dispatch(worker)
        self._send(sending)
        return future

    def owner(self, simulation_id: int) -> int | None:
        """The process id of the worker a simulation is routed to (None: not routed yet)."""
        worker = self._routes.get(simulation_id)
        return worker.process.pid if worker else None

    def _enqueue(self, job_id: int, job: tuple) -> _Worker:
        """Queue a job on its simulation's worker (caller holds the lock); that worker."""
        worker = self._route(job[1])
        worker.jobs[job_id] = job
        worker.waiting.add(job[1], job_id)
        return worker

    def _route(self, simulation_id: int) -> _Worker:
        """The worker for a simulation's jobs (caller holds the lock): its own, unless a heavy one holds
        that worker up and a free one exists; then its waiting jobs move along (module docstring)."""
        worker = self._routes.get(simulation_id)
        if worker in self.workers and not self._burdened(worker, simulation_id):
            return worker
        free = [w for w in self.workers if not self._burdened(w, simulation_id)]
        target = min(free or self.workers, key=lambda w: (len(w.simulations), len(w.jobs)))
        moving = []
        if worker in self.workers:
            at_worker = worker.sent is not None and worker.jobs[worker.sent][1] == simulation_id
            if not free or at_worker or self._heavy(simulation_id):
                return worker
            logger.info("simulation %s moves from worker %s to worker %s: %s", simulation_id, worker.number,
                        target.number, self._burden(worker, simulation_id))
            worker.simulations.discard(simulation_id)
            moving = [(job_id, worker.jobs.pop(job_id)) for job_id in worker.waiting.take(simulation_id)]
        target.simulations.add(simulation_id)
        self._routes[simulation_id] = target
        for job_id, job in moving:
            target.jobs[job_id] = job
            target.waiting.add(simulation_id, job_id)
        return target

    def _dispatch(self, worker: _Worker) -> tuple | None:
        """The next job for ``worker`` if it has none at the moment (caller holds the lock and sends it
        after letting go of the lock): (worker, message), or None."""
        if worker.sent is not None or not worker.waiting:
            return None
        worker.sent = worker.waiting.next()
        return worker, worker.jobs[worker.sent][2]

    @staticmethod
    def _send(*sendings: tuple | None) -> None:
        for sending in sendings:
            if sending is not None:
                worker, message = sending
                try:
                    worker.send(message)
                except OSError:
                    pass  # the worker is gone: its reader thread hands the job on (it never started)

    def _rebalance(self) -> None:
        """Move the simulations waiting behind another's long job to a free worker, if there is one."""
        sendings = []
        with self._lock:
            for worker in list(self.workers):
                if not worker.waiting or self._computing_long(worker) is None:
                    continue
                for simulation_id in worker.waiting.simulations():
                    target = self._route(simulation_id)
                    if target is not worker:
                        sendings.append(self._dispatch(target))
        self._send(*sendings)

    def _heavy(self, simulation_id: int) -> bool:
        ended = self._long_jobs.get(simulation_id)
        return ended is not None and time.monotonic() - ended < HEAVY_FOR_SECONDS

    def _burdened(self, worker: _Worker, simulation_id: int) -> bool:
        """Whether a job of ``simulation_id`` on ``worker`` could wait long behind another simulation's."""
        return self._burden(worker, simulation_id) is not None

    def _burden(self, worker: _Worker, simulation_id: int) -> str | None:
        """What could hold a job of ``simulation_id`` up on ``worker`` (None: nothing)."""
        heavy = sorted(other for other in worker.simulations if other != simulation_id and self._heavy(other))
        if heavy:
            return f"simulation {heavy[0]} there is heavy"
        computing = self._computing_long(worker)
        if computing is not None and computing != simulation_id:
            return f"a job of simulation {computing} has computed {HEAVY_JOB_SECONDS:g} s there already"
        return None

    @staticmethod
    def _computing_long(worker: _Worker) -> int | None:
        """The simulation whose job, running on ``worker``, has computed `HEAVY_JOB_SECONDS` already, if any."""
        running = worker.running
        job = worker.jobs.get(running[0]) if running else None
        if job is None or running[2] is None or time.monotonic() - running[1] < HEAVY_JOB_SECONDS:
            return None  # (no CPU time can have been used beyond the wall time)
        now = cpu_seconds(worker.process.pid)
        return job[1] if now is not None and now - running[2] >= HEAVY_JOB_SECONDS else None

    def _note_compute(self, simulation_id: int, seconds: float) -> None:
        """Remember a simulation whose job computed long (caller holds the lock); forget the marks that expired."""
        now = time.monotonic()
        if seconds >= HEAVY_JOB_SECONDS:
            self._long_jobs[simulation_id] = now
        for other, ended in list(self._long_jobs.items()):
            if now - ended >= HEAVY_FOR_SECONDS:
                del self._long_jobs[other]

    # ------------------------------------------------------------ workers

    def _spawn(self) -> _Worker:
        # A worker that cannot start is replaced by one that waits first, longer each time, up to 10 s.
        delay = min(10.0, 0.5 * 2 ** (self._failed_starts - 1)) if self._failed_starts else 0.0
        worker = _Worker(next(self._numbers), delay)
        threading.Thread(target=self._read, args=(worker,), name=f"simulation-worker-{worker.number}",
                         daemon=True).start()
        return worker

    def _read(self, worker: _Worker) -> None:
        """Answers from one worker, until it goes away."""
        while True:
            try:
                message = worker.connection.recv()
            except (EOFError, OSError):
                break
            worker.answered = True
            if message[0] == "started":
                worker.running = (message[1], time.monotonic(), cpu_seconds(worker.process.pid))
                continue
            _, job_id, ok, payload, messages, compute = message
            worker.running = None
            if messages:
                self._hand_over(messages)
            with self._lock:
                future, simulation_id, _ = worker.jobs.pop(job_id)
                worker.sent = None
                self._note_compute(simulation_id, compute)
                sending = self._dispatch(worker)
            self._send(sending)
            if ok:
                future.set_result(payload)
            else:
                future.set_exception(rebuild_error(*payload))
        self._lost(worker)

    def _lost(self, worker: _Worker) -> None:
        """Replace a dead worker: fail its running job, resend the others."""
        try:
            code = worker.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.kill("it stopped answering")
            code = worker.process.wait()
        worker.connection.close()
        reason = worker.kill_reason or f"the simulation worker exited unexpectedly (code {code})"
        lost, sendings = [], []
        with self._lock:
            jobs, worker.jobs = worker.jobs, {}
            started = worker.running[0] if worker.running else None
            self._failed_starts = 0 if worker.answered else self._failed_starts + 1
            if worker in self.workers and not self._closed:
                self.workers[self.workers.index(worker)] = self._spawn()
                self.replacements += 1
            for simulation_id in worker.simulations:
                self._routes.pop(simulation_id, None)
            for job_id in sorted(jobs):  # in submission order: each simulation's jobs stay in order
                if job_id == started or self._closed:
                    lost.append(jobs[job_id][0])
                else:  # never started: nothing happened, it runs on the simulation's new worker
                    sendings.append(self._dispatch(self._enqueue(job_id, jobs[job_id])))
        if not self._closed:
            logger.warning("simulation worker %s (pid %s) replaced: %s", worker.number, worker.process.pid, reason)
        self._send(*sendings)
        for future in lost:
            future.set_exception(WorkerLost(reason))

    def _watch(self) -> None:
        """Kill the worker of any job running longer than the deadline; move the simulations waiting
        behind a long job."""
        while not self._closed:
            time.sleep(WATCH_INTERVAL)
            now = time.monotonic()
            for worker in list(self.workers):
                running = worker.running
                if running is not None and now - running[1] > self.deadline:
                    job = worker.jobs.get(running[0])
                    what = f"simulation {job[1]}" if job else "a simulation"
                    worker.kill(f"a step of {what} ran longer than {self.deadline:g} s")
            self._rebalance()

    # ------------------------------------------------------------ publishing

    def _hand_over(self, messages: list) -> None:
        """Publish a job's layer messages: on the server's event loop, strictly in arrival order."""
        if self._queue is not None:
            self.loop.call_soon_threadsafe(self._queue.put_nowait, messages)
        elif self.publish is not None:
            for simulation_id, batch in messages:
                async_to_sync(self.publish)(simulation_id, batch)

    async def _publish_in_order(self) -> None:
        while True:
            messages = await self._queue.get()
            for simulation_id, batch in messages:
                try:
                    await self.publish(simulation_id, batch)
                except Exception:  # publish logs its own failures; never stop publishing
                    logger.exception("publishing simulation %s failed", simulation_id)

    # ------------------------------------------------------------ shutdown

    def close(self) -> None:
        """Stop every worker now; jobs still running fail with `WorkerLost`."""
        with self._lock:
            self._closed = True
            workers = list(self.workers)
        for worker in workers:
            worker.kill("the server is shutting down")
        for worker in workers:
            try:
                worker.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self._publisher is not None:
            self._publisher.cancel()
