"""client-go's event correlator (tools/record/events_cache.go), one per event source.

Every component runs its own event broadcaster, so each kubelet, the scheduler and each
controller has its own correlator with its own caches. Before an event is written it is
aggregated (from the 10th distinct message with the same object, type and reason within
10 minutes on, events are combined into one "(combined from similar events): ..." event),
observed (an identical earlier event is counted up instead of written anew) and
rate limited (a token bucket per object: burst 25, one more every 5 minutes).
"""
from __future__ import annotations

from collections import OrderedDict

AGGREGATE_MAX_EVENTS = 10          # EventAggregator: maxEvents
AGGREGATE_INTERVAL_SECONDS = 600   # ... and its 10-minute window
CACHE_SIZE = 4096                  # maxLruCacheEntries of each cache
SPAM_BURST = 25                    # EventSourceObjectSpamFilter: burst ...
SPAM_REFILL_SECONDS = 300.0        # ... and one token per 5 minutes
COMBINED_PREFIX = "(combined from similar events): "


class LruCache:
    """groupcache/lru as client-go uses it: every Get or Add makes its entry the most
    recently used; an Add beyond the size drops the least recently used one. An OrderedDict
    moves and drops in O(1) (wrapped, not subclassed: a subclass's popitem() goes through a
    Python-level pop())."""

    __slots__ = ("_entries",)

    def __init__(self, items=()):
        self._entries = OrderedDict(items)

    def items(self):
        """(key, value) pairs, least recently used first."""
        return self._entries.items()

    def get(self, key):
        """The value of `key`, which becomes the most recently used; None if absent."""
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def add(self, key, value) -> None:
        """Add an absent `key` as the most recently used, dropping the least recently used
        entry beyond the size."""
        entries = self._entries
        entries[key] = value
        if len(entries) > CACHE_SIZE:
            entries.popitem(last=False)

    def get_or_add(self, key, value):
        """The value of `key`, which becomes the most recently used; if absent, `value` is
        added and returned (a caller tells the two apart by identity)."""
        entries = self._entries
        found = entries.setdefault(key, value)   # one lookup for both cases
        if found is value:
            if len(entries) > CACHE_SIZE:
                entries.popitem(last=False)
        else:
            entries.move_to_end(key)
        return found


class EventCorrelator:
    """The correlator of one event source (component and host)."""

    __slots__ = ("aggregates", "logged", "spam")

    def __init__(self) -> None:
        self.aggregates = LruCache()   # (object UID, type, reason) -> [messages, last seen]
        self.logged = LruCache()       # event key -> [event name, count, its first write]
        self.spam = LruCache()         # object UID -> [tokens, last update]

    def aggregate(self, aggregate_key: tuple, message: str, now: float) -> bool:
        """Note `message` for its aggregate group; True when the event is to be combined."""
        fresh = [[message], now]
        record = self.aggregates.get_or_add(aggregate_key, fresh)
        if record is not fresh:
            if now - record[1] > AGGREGATE_INTERVAL_SECONDS:
                record[0] = [message]   # the window lapsed: a new group
            else:
                messages = record[0]
                if len(messages) < AGGREGATE_MAX_EVENTS and message not in messages:
                    messages.append(message)
            record[1] = now
        return len(record[0]) >= AGGREGATE_MAX_EVENTS

    def allow(self, object_key, now: float) -> bool:
        """EventSourceObjectSpamFilter: take a token from the object's bucket if there is one."""
        bucket = self.spam.get(object_key)
        if bucket is None:   # a full bucket, less this event's token
            self.spam.add(object_key, [SPAM_BURST - 1.0, now])
            return True
        tokens = bucket[0] + (now - bucket[1]) / SPAM_REFILL_SECONDS
        if tokens > SPAM_BURST:
            tokens = float(SPAM_BURST)
        bucket[1] = now
        if tokens < 1.0:
            bucket[0] = tokens
            return False
        bucket[0] = tokens - 1.0
        return True

    def to_state(self) -> dict:
        return {name: [[_json_key(k), v] for k, v in getattr(self, name).items()]
                for name in self.__slots__}

    @classmethod
    def from_state(cls, state: dict) -> "EventCorrelator":
        correlator = cls()
        for name in cls.__slots__:
            setattr(correlator, name, LruCache((_key(k), v) for k, v in state[name]))
        return correlator


def _json_key(key):
    return list(key) if type(key) is tuple else key


def _key(json_key):
    return tuple(json_key) if type(json_key) is list else json_key
