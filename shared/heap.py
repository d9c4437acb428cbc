"""Python's cycle collector, set for a long-running service.

Measured under load with the collector's defaults, every service paused 150-300 ms in each full
collection, walking the 150,000-190,000 objects that importing FastStream, SQLAlchemy, pydantic
and the service's own modules leaves behind; those pauses were a good part of the slow tail of a
request's way to a volunteer. Young collections, every 700 net allocations, cost CPU besides.

So a service process collects its young objects less often and, once it has started, moves
everything alive to the permanent generation (`gc.freeze`: never walked again). Only the process
entry points do this: in tests many services start and stop in one process, and what they leave
behind must stay collectable.
"""

import gc
import time
from typing import Any

from shared import metrics

# Net container allocations between two young collections (Python's default: 700). Handling a
# message allocates thousands of objects that nearly all die by reference counting; collecting
# every 700 walks the live objects of the messages in flight over and over.
YOUNG_COLLECTION_EVERY = 20_000


def collect_less_often(service: str) -> None:
    """Young collections every `YOUNG_COLLECTION_EVERY` net allocations from now on, and each
    collection's pause in `samen_collector_pause_seconds{service=...}`."""
    global _pauses
    _pauses = [metrics.collector_pause_seconds.labels(service, str(g)) for g in range(3)]
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, middle, old)
    if _time_pause not in gc.callbacks:
        gc.callbacks.append(_time_pause)


def settle(service: str) -> None:
    """Collect once, then keep what is alive now (modules, models, compiled statements, pools)
    out of every later collection."""
    gc.collect()
    gc.freeze()
    metrics.collector_frozen_objects.labels(service).set(gc.get_freeze_count())


# One service per process: its pause histograms by generation, made once, not at every pause.
_pauses: list[Any] = []
_started = 0.0


def _time_pause(phase: str, info: dict[str, Any]) -> None:
    global _started
    if phase == "start":
        _started = time.perf_counter()
    else:
        _pauses[info["generation"]].observe(time.perf_counter() - _started)
