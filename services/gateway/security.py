"""Passwords, session tokens, CSRF tokens and rate limits.

- Passwords: argon2id (argon2-cffi defaults), hashed in a worker thread so one log-in never
  stalls the event loop.
- Sessions: a random token; the database keeps only its sha256. The web gets it in a Secure,
  HttpOnly, SameSite=Lax cookie; API clients as a bearer token.
- CSRF: every form carries a token derived (HMAC) from a per-browser secret kept in a cookie;
  a cookie-authenticated API call must send the same token in `X-CSRF-Token`. Bearer calls are
  not exposed to CSRF and need none. Tokens are made with the current secret key; those of the
  keys being rotated out (SAMEN_SECRET_KEY_PREVIOUS) are still accepted.
"""

import functools
import hashlib
import hmac
import secrets
from collections.abc import Sequence

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the e-mail is unknown, so both cases take the same time.
    Made on first use, in the worker thread: at import it cost every gateway start (and every
    process importing this module) a quarter of a second of CPU on a small machine."""
    return _hasher.hash("not a real password")


SESSION_COOKIE = "samen_session"
CSRF_COOKIE = "samen_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(verify)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret_key: str, browser_secret: str) -> str:
    """The token forms carry: an HMAC of the browser's CSRF cookie under the server key."""
    digest = hmac.new(secret_key.encode(), browser_secret.encode(), hashlib.sha256)
    return digest.hexdigest()


def csrf_valid(
    secret_keys: Sequence[str] | str, browser_secret: str | None, submitted: str | None
) -> bool:
    """Whether `submitted` is the token of this browser under one of the keys (the current
    one or one being rotated out)."""
    if not browser_secret or not submitted:
        return False
    keys = [secret_keys] if isinstance(secret_keys, str) else secret_keys
    # Every key is tried, so how long it takes says nothing about which one matched.
    matched = [hmac.compare_digest(csrf_token(key, browser_secret), submitted) for key in keys]
    return any(matched)
