"""The secret key `samen up` keeps in its data folder, so a local run needs no key set and
never falls back to one everybody knows.

Made once with `secrets.token_urlsafe(48)`, readable by its owner only (0600), and reused on
every later start, so links already mailed and forms already open stay valid across restarts.
"""

import contextlib
import os
import secrets
import stat
from pathlib import Path

from shared.credentials import MIN_SECRET_KEY_LENGTH, UnsafeCredentials

KEY_FILE = "secret_key"


def load_or_create(path: Path) -> str:
    """The key in `path`, made first if the file does not exist yet."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written to a file of its own first and linked into place: the key file appears whole or
    # not at all, and never with wider permissions than 0600 (O_EXCL: not through a file or
    # link someone else put there).
    partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another `samen up` was first: use its key
            os.link(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> str:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UnsafeCredentials(
            f"{path} may be read by others (mode {stat.S_IMODE(mode):o}): chmod 600 it, "
            "or delete it to make a new key (links already sent stop working)"
        )
    key = path.read_text().strip()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise UnsafeCredentials(
            f"{path} holds no usable key (fewer than {MIN_SECRET_KEY_LENGTH} characters): "
            "delete it to make a new one"
        )
    return key
