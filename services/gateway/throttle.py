"""Failed log-ins slow the next try down; they never lock the owner out.

Three counters of failures: per (e-mail address, client) pair, per e-mail address and per
client. Only the pair is ever made to wait: after `attempts` failures each further try of that
pair waits `backoff`, doubling with each failure up to `cap`. When an address or a client has
had `hot` failures (someone is trying many clients against one account, or many accounts from
one client), its pairs get one free failure instead of `attempts`. A pair that has not failed
is always heard, so the owner signs in from their own device while someone else is guessing,
and the other people behind a shared proxy are not stopped by one of them. A failure is
forgotten `memory` after the last one of its counter.

Pure: the store reads and writes the counters, this decides.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Failures:
    count: int = 0
    last: datetime | None = None


@dataclass(frozen=True)
class LoginKeys:
    """The three counters of one try, as keyed hashes: the table holds no e-mail addresses
    (an attacker's guesses among them) and no client addresses."""

    pair: str
    address: str
    client: str

    @classmethod
    def of(cls, secret: str, *, email: str, client: str) -> "LoginKeys":
        def key(kind: str, value: str) -> str:
            message = f"{kind}\x00{value}".encode()
            return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()

        return cls(
            pair=key("pair", f"{email}\x00{client}"),
            address=key("address", email),
            client=key("client", client),
        )

    def all(self) -> tuple[str, str, str]:
        return (self.pair, self.address, self.client)


@dataclass(frozen=True)
class LoginPolicy:
    attempts: int = 5
    hot_factor: int = 4
    backoff: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=15)
    memory: timedelta = timedelta(hours=1)

    @property
    def hot(self) -> int:
        return self.attempts * self.hot_factor

    def current(self, failures: Failures, now: datetime) -> Failures:
        """The failures still remembered at `now`."""
        if failures.last is None or now - failures.last >= self.memory:
            return Failures()
        return failures

    def wait(
        self, *, pair: Failures, address: Failures, client: Failures, now: datetime
    ) -> timedelta | None:
        """How long this pair must still wait before its next try is heard; None: hear it."""
        pair = self.current(pair, now)
        if pair.count == 0 or pair.last is None:
            return None
        hot = max(self.current(address, now).count, self.current(client, now).count) >= self.hot
        free = 1 if hot else self.attempts
        if pair.count < free:
            return None
        delay = min(self.cap, self.backoff * 2 ** min(pair.count - free, 32))
        remaining = pair.last + delay - now
        return remaining if remaining > timedelta(0) else None

    def after_failure(self, failures: Failures, now: datetime) -> Failures:
        return Failures(self.current(failures, now).count + 1, now)
