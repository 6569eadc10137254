"""The kubelet's back-off bookkeeping: crash-loop restart delays and image-pull back-off.

Both follow client-go's ``flowcontrol.Backoff`` as the kubelet configures it (no jitter):
an entry per key holds the current delay and the time it was last updated. The first
failure creates the entry at the initial delay (10 s); each further failure doubles it, up
to the maximum (300 s). An entry is treated as gone ("expired") when the failure comes more
than twice the maximum (600 s) after the last update, so a container that ran for ten
minutes starts again at 10 s. Times and delays are integer milliseconds, as everywhere in
the engine (Go's ``time.Duration`` is integer nanoseconds: the arithmetic is exact in both).

Restart back-off (``pkg/kubelet/kuberuntime`` ``doBackOff``), per container, keyed by pod
and container::

    rb = RestartBackoff()
    key = restart_key(pod_name, namespace, uid, container_name)
    wait = rb.check(key, finished_at, now)   # 0: restart now (delay recorded);
                                             # > 0: CrashLoopBackOff for `wait` more ms
    rb.release_at(key, finished_at)          # when the current back-off window ends
    rb.delay(key)                            # current delay (ms), for the waiting message
    crash_loop_message(rb.delay(key), container, pod, ns, uid)
        # 'back-off 20s restarting failed container=app pod=web-abc_default(uid)'
    crash_loop_event_message(container, pod, ns, uid)
        # 'Back-off restarting failed container app in pod web-abc_default(uid)'

With a container that exits at once, the waits before restarts 1, 2, 3, ... are
0, 10, 20, 40, 80, 160, 300, 300 s.

Image-pull back-off (``pkg/kubelet/images`` ``EnsureImageExists``), keyed by pod UID and
image::

    pb = ImagePullBackoff()
    key = pull_key(uid, image)
    if pb.in_backoff(key, now): ...          # 'Back-off pulling image "x"', ImagePullBackOff
    else: pull; on failure pb.failed(key, now)   # ErrImagePull; window 10, 20, 40, ... 300 s
    pb.release_at(key)                       # when the window ends (None without an entry)

Both classes have ``to_dict()`` / ``from_dict()`` (plain JSON data) and ``gc(now)``, which
drops expired entries (behaviour is unchanged; it only keeps snapshots small).
"""
from __future__ import annotations

from functools import lru_cache

INITIAL_DELAY_MS = 10_000
"""The first back-off (kubelet ``backOffPeriod``, 10 s)."""
MAX_DELAY_MS = 300_000
"""The cap (kubelet ``MaxContainerBackOff`` and the image back-off maximum, 300 s)."""


class Backoff:
    """Per-key exponential back-off as client-go's flowcontrol.Backoff (jitter 0).

    Times and delays are milliseconds on the simulated clock. Entries: key -> (delay,
    last_update).
    """

    def __init__(self, initial: int = INITIAL_DELAY_MS, maximum: int = MAX_DELAY_MS):
        self.initial = initial
        self.maximum = maximum
        self._entries: dict[str, tuple[int, int]] = {}

    def _expired(self, event_time: int, last_update: int) -> bool:
        # "stable if it's ok for twice the maxDuration"
        return event_time - last_update > 2 * self.maximum

    def delay(self, key: str) -> int:
        """The current delay for `key` (0 when there is no entry)."""
        entry = self._entries.get(key)
        return entry[0] if entry else 0

    def last_update(self, key: str) -> int | None:
        """When the entry for `key` was last updated, or None."""
        entry = self._entries.get(key)
        return entry[1] if entry else None

    def next(self, key: str, event_time: int, now: int) -> int:
        """Record a failure seen at `event_time` (at clock time `now`); return the new delay."""
        entry = self._entries.get(key)
        if entry is None or self._expired(event_time, entry[1]):
            delay = self.initial
        else:
            delay = min(entry[0] * 2, self.maximum)
        self._entries[key] = (delay, now)
        return delay

    def in_backoff_since(self, key: str, event_time: int, now: int) -> bool:
        """True while fewer than delay seconds have passed since `event_time` (IsInBackOffSince)."""
        entry = self._entries.get(key)
        if entry is None or self._expired(event_time, entry[1]):
            return False
        return now - event_time < entry[0]

    def in_backoff_since_update(self, key: str, event_time: int) -> bool:
        """True while fewer than delay seconds have passed since the last update (IsInBackOffSinceUpdate)."""
        entry = self._entries.get(key)
        if entry is None or self._expired(event_time, entry[1]):
            return False
        return event_time - entry[1] < entry[0]

    def __len__(self) -> int:
        """Keys with a back-off entry (an empty table has nothing to reset)."""
        return len(self._entries)

    def reset(self, key: str) -> None:
        """Forget `key` (the pod is gone)."""
        self._entries.pop(key, None)

    def gc(self, now: int) -> None:
        """Drop entries untouched for more than twice the maximum (flowcontrol GC)."""
        for key in [k for k, (_, last) in self._entries.items() if now - last > 2 * self.maximum]:
            del self._entries[key]

    def to_dict(self) -> dict:
        """Plain JSON-serialisable state."""
        return {
            "initial": self.initial,
            "maximum": self.maximum,
            "entries": {k: [d, t] for k, (d, t) in sorted(self._entries.items())},
        }

    @classmethod
    def from_dict(cls, data: dict):
        """Rebuild from `to_dict()` output."""
        obj = cls(data["initial"], data["maximum"])
        obj._entries = {k: (d, t) for k, (d, t) in data["entries"].items()}
        return obj

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.to_dict() == other.to_dict()


class RestartBackoff(Backoff):
    """Crash-loop back-off of exited containers (kuberuntime doBackOff)."""

    def check(self, key: str, finished_at: int, now: int) -> int:
        """Decide whether an exited container may restart at `now`.

        `finished_at` is when the container last exited. Returns 0 when it restarts now
        (the failure is recorded, doubling the delay for next time), otherwise the
        milliseconds still to wait in CrashLoopBackOff (always > 0).
        """
        if self.in_backoff_since(key, finished_at, now):
            return finished_at + self.delay(key) - now
        self.next(key, finished_at, now)
        return 0

    def release_at(self, key: str, finished_at: int) -> int:
        """When the back-off window after an exit at `finished_at` ends (finished_at if none)."""
        entry = self._entries.get(key)
        if entry is None or self._expired(finished_at, entry[1]):
            return finished_at
        return finished_at + entry[0]


class ImagePullBackoff(Backoff):
    """Image-pull back-off per (pod UID, image) (images.EnsureImageExists)."""

    def in_backoff(self, key: str, now: int) -> bool:
        """True while the kubelet must not pull and reports ImagePullBackOff."""
        return self.in_backoff_since_update(key, now)

    def failed(self, key: str, now: int) -> int:
        """Record a failed pull at `now`; return the new window length."""
        return self.next(key, now, now)

    def release_at(self, key: str) -> int | None:
        """When the current window ends (after `now` while in_backoff()), or None without an
        entry."""
        entry = self._entries.get(key)
        return None if entry is None else entry[1] + entry[0]


def restart_key(pod_name: str, namespace: str, uid: str, container_name: str) -> str:
    """Key of a container's restart back-off (kubelet getStableKey, without the spec hash)."""
    return f"{pod_name}_{namespace}_{uid}_{container_name}"


def pull_key(uid: str, image: str) -> str:
    """Key of an image-pull back-off: '<pod uid>_<image>' as the kubelet builds it."""
    return f"{uid}_{image}"


@lru_cache(maxsize=1024)
def go_duration(seconds: float) -> str:
    """Format seconds as Go's time.Duration.String(): '10s', '1m20s', '5m0s', '1h0m0s', '1.5s'."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    sec_text = f"{secs:.9f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{sign}{int(hours)}h{int(minutes)}m{sec_text}"
    if minutes:
        return f"{sign}{int(minutes)}m{sec_text}"
    return sign + sec_text


def pod_full_name(pod_name: str, namespace: str, uid: str) -> str:
    """The kubelet's format.Pod: 'name_namespace(uid)'."""
    return f"{pod_name}_{namespace}({uid})"


def crash_loop_message(delay_ms: int, container: str, pod_name: str, namespace: str, uid: str) -> str:
    """The CrashLoopBackOff waiting message of a container in back-off."""
    return (f"back-off {go_duration(delay_ms / 1000)} restarting failed container={container} "
            f"pod={pod_full_name(pod_name, namespace, uid)}")


def crash_loop_event_message(container: str, pod_name: str, namespace: str, uid: str) -> str:
    """The message of the kubelet's Warning BackOff event for a crash-looping container."""
    return f"Back-off restarting failed container {container} in pod {pod_full_name(pod_name, namespace, uid)}"


def image_pull_backoff_message(image: str) -> str:
    """The ImagePullBackOff waiting message and Normal BackOff event message."""
    return f'Back-off pulling image "{image}"'
