"""client-go's event correlator (tools/record/events_cache.go), one per event source.

Every component runs its own event broadcaster, so each kubelet, the scheduler and each
controller has its own correlator with its own caches. Before an event is written it is
aggregated (from the 10th distinct message with the same object, type and reason within
10 minutes on, events are combined into one "(combined from similar events): ..." event),
observed (an identical earlier event is counted up instead of written anew) and
rate limited (a token bucket per object: burst 25, one more every 5 minutes). Times are
the engine's integer milliseconds.
"""
from __future__ import annotations

from collections import OrderedDict

AGGREGATE_MAX_EVENTS = 10          # EventAggregator: maxEvents
AGGREGATE_INTERVAL_MS = 600_000    # ... and its 10-minute window
CACHE_SIZE = 4096                  # maxLruCacheEntries of each cache
SPAM_BURST = 25                    # EventSourceObjectSpamFilter: burst ...
SPAM_REFILL_MS = 300_000           # ... and one token per 5 minutes
COMBINED_PREFIX = "(combined from similar events): "


class EventCorrelator:
    """The correlator of one event source (component and host).

    Its three caches are groupcache/lru caches as client-go uses them: every Get or Add
    makes the entry the most recently used, and an Add beyond CACHE_SIZE entries drops the
    least recently used one. They are OrderedDicts, least recently used first, used
    directly by correlate(): it runs for every event, and a method call per cache
    operation would cost more than the operation (so would a keyword argument: evictions
    are `popitem(False)`)."""

    __slots__ = ("aggregates", "logged", "spam")

    def __init__(self) -> None:
        self.aggregates = OrderedDict()   # (object UID, type, reason) -> [messages, last seen]
        self.logged = OrderedDict()       # event key -> [event name, count, its first write]
        self.spam = OrderedDict()         # object UID -> [tokens, last update]

    def correlate(self, uid: str, type_: str, reason: str, field_path: str | None,
                  message: str, now: int) -> tuple[str, list, bool]:
        """EventCorrelate for an event about the object `uid`: its message (prefixed when
        combined with similar ones), its entry in the event log ([name, count, first
        write], name None if it is new) and whether the spam filter lets the write through."""
        # the aggregator: one group of distinct messages per object, type and reason (client-go
        # leaves the field path out: two containers' messages count towards one group)
        aggregate_key = (uid, type_, reason)
        aggregates = self.aggregates
        fresh = [[message], now]
        group = aggregates.setdefault(aggregate_key, fresh)   # one lookup, hit or miss
        if group is fresh:
            if len(aggregates) > CACHE_SIZE:
                aggregates.popitem(False)
        else:
            aggregates.move_to_end(aggregate_key)
            if now - group[1] > AGGREGATE_INTERVAL_MS:
                group[0] = [message]   # the window lapsed: a new group
            else:
                messages = group[0]
                if len(messages) < AGGREGATE_MAX_EVENTS and message not in messages:
                    messages.append(message)
            group[1] = now
        if len(group[0]) >= AGGREGATE_MAX_EVENTS:
            message = COMBINED_PREFIX + message
            key = aggregate_key
        else:
            key = (uid, type_, reason, field_path, message)
        # the logger: repeats of one event are counted up
        logged_cache = self.logged
        fresh = [None, 0, None]
        logged = logged_cache.setdefault(key, fresh)
        if logged is fresh:
            if len(logged_cache) > CACHE_SIZE:
                logged_cache.popitem(False)
        else:
            logged_cache.move_to_end(key)
        # the spam filter: a token bucket per object
        spam = self.spam
        bucket = spam.get(uid)
        if bucket is None:   # a full bucket, less this event's token
            spam[uid] = [SPAM_BURST - 1.0, now]
            if len(spam) > CACHE_SIZE:
                spam.popitem(False)
            return message, logged, True
        spam.move_to_end(uid)
        tokens = bucket[0] + (now - bucket[1]) / SPAM_REFILL_MS
        if tokens > SPAM_BURST:
            tokens = float(SPAM_BURST)
        bucket[1] = now
        if tokens < 1.0:
            bucket[0] = tokens
            return message, logged, False
        bucket[0] = tokens - 1.0
        return message, logged, True

    def to_state(self) -> dict:
        return {name: [[_json_key(k), v] for k, v in getattr(self, name).items()]
                for name in self.__slots__}

    @classmethod
    def from_state(cls, state: dict) -> "EventCorrelator":
        correlator = cls()
        for name in cls.__slots__:
            setattr(correlator, name, OrderedDict((_key(k), v) for k, v in state[name]))
        return correlator


def _json_key(key):
    return list(key) if type(key) is tuple else key


def _key(json_key):
    return tuple(json_key) if type(json_key) is list else json_key
