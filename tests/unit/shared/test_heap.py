"""shared.heap: the cycle collector as a service process sets it."""

import gc
import weakref
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from shared import heap


@pytest.fixture
def collector_restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    callbacks = list(gc.callbacks)
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
    gc.callbacks[:] = callbacks


class Cycle:
    def __init__(self) -> None:
        self.me = self


def full_collections() -> float:
    labels = {"service": "testing", "generation": "2"}
    return REGISTRY.get_sample_value("samen_collector_pause_seconds_count", labels) or 0.0


def test_young_collections_come_less_often_and_every_pause_is_timed(
    collector_restored: None,
) -> None:
    heap.collect_less_often("testing")
    heap.collect_less_often("testing")  # the pause is timed once all the same

    assert gc.get_threshold()[0] == heap.YOUNG_COLLECTION_EVERY
    assert gc.callbacks.count(heap._time_pause) == 1
    before = full_collections()
    gc.collect()
    assert full_collections() == before + 1


def test_settling_freezes_what_lives_and_collects_what_does_not(collector_restored: None) -> None:
    alive = Cycle()
    garbage = Cycle()
    collected: list[str] = []
    weakref.finalize(garbage, collected.append, "garbage")
    del garbage

    heap.settle("testing")

    assert collected == ["garbage"]  # the cycle was collected, not frozen
    assert not any(o is alive for o in gc.get_objects())  # out of every later collection
    frozen = REGISTRY.get_sample_value("samen_collector_frozen_objects", {"service": "testing"})
    # What was frozen then; frozen objects that other code lets go of since leave the count
    # (by reference counting), so it can only have gone down.
    assert frozen is not None and frozen > 1000
    assert 0.99 * frozen <= gc.get_freeze_count() <= frozen
