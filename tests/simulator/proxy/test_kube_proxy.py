"""kube-proxy's choice of endpoints (pkg/proxy/topology.go CategorizeEndpoints: ready ones,
else serving terminating ones) and the delay before it acts on a change."""
from __future__ import annotations

import pytest

from simulator.proxy.kube_proxy import KubeProxy
from simulator.timers import TimerQueue

#       pod, ip,        port, ready, serving, terminating
READY = ["a", "10.0.0.1", 80, True, True, False]
NOT_READY = ["b", "10.0.0.2", 80, False, False, False]
DRAINING = ["c", "10.0.0.3", 80, False, True, True]
GONE_UNREADY = ["d", "10.0.0.4", 80, False, False, True]

TARGETS = [
    ("ready-only", [READY, NOT_READY, DRAINING], [READY]),
    ("fallback-to-serving-terminating", [NOT_READY, DRAINING, GONE_UNREADY], [DRAINING]),
    ("nothing-serves", [NOT_READY, GONE_UNREADY], []),
    ("no-endpoints", [], []),
]


class _Store:
    def __init__(self):
        self.time = 0
        self.timers = TimerQueue()


@pytest.mark.parametrize("rows,expected", [t[1:] for t in TARGETS], ids=[t[0] for t in TARGETS])
def test_targets(rows, expected):
    proxy = KubeProxy(0)
    proxy.rules["web"] = {"": rows}
    assert proxy.targets("web", "") == expected
    assert proxy.targets("web", "other") == []
    assert proxy.targets("nope", "") is None


def test_changes_take_effect_after_the_delay_in_order():
    store, proxy = _Store(), KubeProxy(1_000)
    proxy.observe(store, "web", {"": [READY]})
    store.time = 400
    proxy.observe(store, "web", {"": [READY, DRAINING]})
    proxy.observe(store, "web", {"": [READY, DRAINING]})   # the same again: nothing new
    assert [store.timers.pop() for _ in range(2)] == [(1_000, "proxy", "web"),
                                                      (1_400, "proxy", "web")]
    assert store.timers.next_due() is None
    assert proxy.targets("web", "") is None
    proxy.on_timer("web", 1_000)
    assert proxy.targets("web", "") == [READY]
    proxy.on_timer("web", 1_400)
    assert proxy.rules["web"] == {"": [READY, DRAINING]} and proxy.pending == {}
    store.time = 2_000
    proxy.observe(store, "web", None)   # the Service is gone
    proxy.on_timer("web", 3_000)
    assert proxy.targets("web", "") is None
    assert KubeProxy.from_state(proxy.to_state()).to_state() == proxy.to_state()
