"""The secret key and the passwords a service starts with: refused when unusable.

The secret key signs accept/decline links (notify) and derives CSRF tokens (gateway): whoever
knows it can answer any proposal without signing in. So a service that uses it will not start
without one, and in production (`SAMEN_ENV=production` or an https `SAMEN_PUBLIC_URL`) no
service starts with a key or password that is published (an old default, a value from this
repository's examples) or, for the key, shorter than 32 characters. `samen up` makes a random
key in the data folder (samen/keyfile.py), so local runs need nothing set.

The check names the setting at fault, never its value.
"""

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from shared.settings import Settings

MIN_SECRET_KEY_LENGTH = 32

# Values anyone can read in this repository or its history: old defaults, examples,
# deploy/nats/dev.env, the test suites (tests/security/test_secrets.py checks the examples).
PUBLISHED = frozenset(
    {
        "change-me-in-production",
        "change-me-to-a-long-random-string",
        "change-me",
        "changeme",
        "secret",
        "test-secret",
        "samen",
        "samen-demo",
        "postgres",
        "password",
        "dev-registry",
        "dev-matching",
        "dev-notify",
        "dev-gateway",
        "dev-admin",
        "dev-plugin-noticeboard",
        "changeregistry",
        "changematching",
        "changenotify",
        "changegateway",
        "changeadmin",
        "changepluginnoticeboard",
    }
)
# Words that mark a value as a placeholder still waiting to be replaced (the examples in
# deploy/kubernetes/secrets.example.yaml use them).
PLACEHOLDER_MARKERS = (
    "change-me",
    "changeme",
    "change_me",
    "replace-me",
    "replaceme",
    "replace_me",
)

HOW_TO_MAKE_A_KEY = (
    "set SAMEN_SECRET_KEY to a random string of 32 or more characters "
    "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
)


class UnsafeCredentials(Exception):
    """A service must not start with these settings; the message says which and what to do."""


@dataclass(frozen=True)
class SecretKeys:
    """The current key (signs everything new) and the keys being rotated out (still verify)."""

    current: str
    previous: tuple[str, ...] = ()

    def verifying(self) -> list[str]:
        """Every key that verifies, oldest first and the current one last: itsdangerous's
        order, which signs with the last."""
        return [*self.previous, self.current]


def secret_keys(settings: Settings) -> SecretKeys:
    if not settings.secret_key:
        raise UnsafeCredentials(
            f"SAMEN_SECRET_KEY is not set: {HOW_TO_MAKE_A_KEY}, or run `samen up`"
        )
    return SecretKeys(settings.secret_key, settings.previous_secret_keys())


def published(value: str) -> bool:
    """A value anyone could know: a published default or example, or a placeholder."""
    lowered = value.strip().lower()
    return lowered in PUBLISHED or any(marker in lowered for marker in PLACEHOLDER_MARKERS)


def weak_key(key: str) -> bool:
    return len(key) < MIN_SECRET_KEY_LENGTH or published(key)


def _url_password(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return make_url(url).password
    except ArgumentError:
        return None  # not a URL SQLAlchemy reads: the service will say so itself


def problems(
    settings: Settings, *, needs_secret_key: bool, urls: Mapping[str, str | None] | None = None
) -> list[str]:
    """What is wrong with the credentials for starting a service (empty: it may start).
    `urls`: the service's own URLs that may hold a password (setting -> URL)."""
    found: list[str] = []
    strict = settings.in_production
    where = "in production (SAMEN_ENV=production or an https SAMEN_PUBLIC_URL)"
    if not settings.secret_key:
        if needs_secret_key:
            found.append(f"SAMEN_SECRET_KEY is not set: {HOW_TO_MAKE_A_KEY}, or run `samen up`")
    elif strict and weak_key(settings.secret_key):
        found.append(f"SAMEN_SECRET_KEY is a published or short value {where}: {HOW_TO_MAKE_A_KEY}")
    if strict and any(weak_key(key) for key in settings.previous_secret_keys()):
        found.append(
            f"SAMEN_SECRET_KEY_PREVIOUS holds a published or short key {where}: "
            "a previous key still verifies, so it must have been a real one"
        )
    if strict:
        for setting, password in (
            ("SAMEN_NATS_PASSWORD", settings.nats_password),
            ("SAMEN_DATABASE_URL", _url_password(settings.database_url)),
            *((setting, _url_password(url)) for setting, url in (urls or {}).items()),
        ):
            if password is not None and (not password or published(password)):
                found.append(f"{setting} holds a published example password {where}")
    return found


def check(
    settings: Settings, *, needs_secret_key: bool, urls: Mapping[str, str | None] | None = None
) -> None:
    found = problems(settings, needs_secret_key=needs_secret_key, urls=urls)
    if found:
        raise UnsafeCredentials("; ".join(found))


@contextmanager
def refuse_to_start(service: str) -> Iterator[None]:
    """Around a service's start-up: unsafe credentials end the process with one line on
    stderr and exit status 2, not a traceback."""
    try:
        yield
    except UnsafeCredentials as exc:
        print(f"samen {service}: refusing to start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
