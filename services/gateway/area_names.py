"""The areas the registry knows, by name (municipalities, districts, neighbourhoods): what
pages, files and use cases show instead of a CBS code; and the short number a request is read
out by.

Areas change only when the registry imports them, so the gateway keeps the registry's answer
(`areas.list`) for `NAMES_SECONDS`; after that the next page starts a new question and goes
on with the names kept, so no page waits for it. Only the first question after a start is
waited for. While the registry does not answer, the names it gave last stay in use (before
its first answer, pages show codes), and it is asked again after `RETRY_SECONDS`, not on
every page.
"""

import asyncio
import time
from collections.abc import Callable, Iterable

from shared.contracts.areas import AREAS_LIST, AreaInfo, AreaQuery
from shared.logging import get_logger
from shared.polling import cancel_and_wait
from shared.rpc import Rpc

log = get_logger(__name__)

NAMES_SECONDS = 300.0
RETRY_SECONDS = 15.0

Choice = tuple[str, str]  # (code, name) as a form offers it


class AreaNames:
    """The registry's areas of one answer, by code."""

    def __init__(self, areas: Iterable[AreaInfo] = ()) -> None:
        self._areas = {a.code: a for a in areas}
        self._names = {code: a.name for code, a in self._areas.items()}
        by_level: dict[str, list[AreaInfo]] = {}
        for a in self._areas.values():
            by_level.setdefault(a.level, []).append(a)
        self._municipalities = sorted(
            ((a.code, a.name) for a in by_level.get("municipality", [])), key=lambda c: c[1]
        )
        # A district's name is said with its municipality's once there are several: most
        # municipalities have a "Centrum".
        several = len(self._municipalities) > 1

        def place(a: AreaInfo) -> tuple[str, str]:
            return self._names.get(a.municipality_code, a.municipality_code), a.name

        self._districts = [
            (a.code, f"{a.name} ({place(a)[0]})" if several else a.name)
            for a in sorted(by_level.get("district", []), key=place)
        ]
        children: dict[str, list[Choice]] = {}
        for a in by_level.get("neighbourhood", []):
            children.setdefault(a.parent_code or "", []).append((a.code, a.name))
        self._groups = [
            (code, name, sorted(children.get(code, []), key=lambda c: c[1]))
            for code, name in self._districts
        ]

    def __len__(self) -> int:
        return len(self._areas)

    def name(self, code: str | None) -> str:
        """The area's name; its code when the registry has not named it (or is away)."""
        if not code:
            return ""
        return self._names.get(code, code)

    def accepts(self, code: str) -> bool:
        """Whether a code may be taken as an area: one the registry named, or any while no
        names are known (the registry, asked next, has the last word)."""
        return code in self._areas or not self._areas

    def municipalities(self) -> list[Choice]:
        return self._municipalities

    def districts(self) -> list[Choice]:
        """The districts (wijken) to choose from, by name, municipality by municipality."""
        return self._districts

    def groups(self) -> list[tuple[str, str, list[Choice]]]:
        """The districts, each with its neighbourhoods by name: what a form offers to pick an
        area from (nobody types a CBS code)."""
        return self._groups


class AreaDirectory:
    """The registry's area names, kept and renewed (see the module's words)."""

    def __init__(
        self,
        rpc: Rpc,
        *,
        ttl: float = NAMES_SECONDS,
        retry: float = RETRY_SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rpc = rpc
        self._ttl = ttl
        self._retry = retry
        self._now = now
        self.latest = AreaNames()  # what pages show now: the last answer, at first none
        self._first = True  # no question has ended yet
        self._ask_after = float("-inf")
        self._asking: asyncio.Task[None] | None = None

    async def current(self) -> AreaNames:
        """The names kept, asking the registry when they are due (waiting only for the first
        question)."""
        if self._asking is None and self._now() >= self._ask_after:
            self._asking = asyncio.create_task(self._ask(), name="gateway-area-names")
        if self._first and self._asking is not None:
            # Shielded: a page whose visitor leaves does not cancel the others' question.
            await asyncio.shield(self._asking)
        return self.latest

    async def close(self) -> None:
        if self._asking is not None:
            await cancel_and_wait([self._asking])

    async def _ask(self) -> None:
        try:
            self.latest = AreaNames(await self._fetch())
            self._ask_after = self._now() + self._ttl
            log.info("area names fetched", areas=len(self.latest))
        except Exception as exc:  # the registry is away, or said something odd: keep the last
            log.warning("area names not fetched", error=type(exc).__name__)
            self._ask_after = self._now() + self._retry
        finally:
            self._asking = None
            self._first = False

    async def _fetch(self) -> list[AreaInfo]:
        # Municipality by municipality: a country's areas in one answer would be larger than
        # the bus carries in one message.
        found = await self._rpc.call(AREAS_LIST, AreaQuery(level="municipality"))
        areas = list(found.areas)
        for municipality in found.areas:
            part = await self._rpc.call(AREAS_LIST, AreaQuery(municipality_code=municipality.code))
            areas.extend(part.areas)
        return areas


def alphanumeric(text: str) -> str:
    """Letters and digits only, upper case: how a typed request number is compared."""
    return "".join(c for c in text if c.isalnum()).upper()


def request_number(request_id: str) -> str:
    """The short number a coordinator reads out on the phone: the id's last six characters."""
    return alphanumeric(request_id)[-6:]
