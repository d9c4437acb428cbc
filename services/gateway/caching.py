"""A small in-memory cache for the gateway's hot reads: sessions and request views.

Each entry lives at most `ttl` seconds, at most `max_entries` are kept (the least recently used
go first), and entries are dropped by group (an account, a request) as soon as what they show
changes. A value fetched while its group was being dropped is not kept: a read that started
before a change and answers after it would otherwise put the old value back. So a caller takes
a `ticket()` before fetching and hands it to `put()`.

Pure bookkeeping, no I/O and no awaits: every method runs to its end on the event loop.
"""

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(slots=True)
class _Entry(Generic[V]):
    value: V
    group: str
    expires_at: float


class ExpiringCache(Generic[K, V]):
    def __init__(
        self, *, ttl: float, max_entries: int, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max(1, max_entries)
        self._now = now
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self._groups: dict[str, set[K]] = {}
        # When each recently dropped group was dropped (a generation number), so a fetch that
        # began before the drop is refused; bounded like the entries.
        self._dropped: OrderedDict[str, int] = OrderedDict()
        self._generation = 0
        self._floor = 0  # fetches that began before this generation are refused

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def __len__(self) -> int:
        return len(self._entries)

    def ticket(self) -> int:
        """Take this before fetching a value; `put` refuses the value if its group was dropped
        (or the cache cleared) after the ticket was taken."""
        return self._generation

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._now():
            self._remove(key)
            return None
        self._entries.move_to_end(key)
        return entry.value

    def put(self, key: K, value: V, *, group: str, ticket: int) -> bool:
        """Keep a fetched value; False when it may already be out of date (or caching is off)."""
        if not self.enabled or ticket < self._floor or self._dropped.get(group, -1) > ticket:
            return False
        if key in self._entries:
            self._remove(key)
        self._entries[key] = _Entry(value, group, self._now() + self.ttl)
        self._groups.setdefault(group, set()).add(key)
        while len(self._entries) > self.max_entries:
            self._remove(next(iter(self._entries)))
        return True

    def drop(self, group: str) -> None:
        """What this group shows changed: forget its entries, and refuse fetches under way."""
        self._generation += 1
        self._dropped[group] = self._generation
        self._dropped.move_to_end(group)
        while len(self._dropped) > self.max_entries:
            _, generation = self._dropped.popitem(last=False)
            # Forgetting when a group was dropped: refuse every fetch older than that instead.
            self._floor = max(self._floor, generation)
        for key in self._groups.pop(group, set()):
            del self._entries[key]

    def clear(self) -> None:
        """Forget everything, and refuse every fetch under way."""
        self._generation += 1
        self._floor = self._generation
        self._entries.clear()
        self._groups.clear()
        self._dropped.clear()

    def _remove(self, key: K) -> None:
        entry = self._entries.pop(key)
        keys = self._groups.get(entry.group)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._groups[entry.group]
