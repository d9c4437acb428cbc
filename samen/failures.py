"""How a `samen` command ends when something goes wrong: one line on stderr and an exit code
that says what kind of trouble it was, so that scripts and container probes can tell.

`SAMEN_TRACEBACK=1` prints the traceback first, for whoever is looking for the cause in the code.
"""

import os
import socket
import sys
import traceback

from shared.credentials import UnsafeCredentials
from shared.errors import SamenError, Unavailable
from shared.reach import Unreachable

OK = 0
FAILED = 1  # the command failed: refused by the domain, bad state, an unexpected error
USAGE = 2  # bad usage (typer's own: unknown command or option, bad value) or unsafe settings
UNREACHABLE = 3  # NATS, a database or a service does not answer
INTERRUPTED = 130  # Ctrl-C (typer's own)

EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 the command failed (refused, bad state); "
    "2 bad usage or unsafe settings; 3 NATS, a database or a service does not answer; "
    "130 interrupted (Ctrl-C). SAMEN_TRACEBACK=1 shows the traceback of a failure."
)

MAX_LINE = 400  # characters: a message is a line, never a page of SQL


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= MAX_LINE else f"{line[: MAX_LINE - 1]}…"


def judge(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one line for an exception a command did not handle itself."""
    if isinstance(exc, Unreachable):
        return UNREACHABLE, _first_line(str(exc))
    if isinstance(exc, Unavailable):  # a service did not answer its request
        return UNREACHABLE, _first_line(exc.message)
    if isinstance(exc, SamenError):
        problems = exc.details.get("errors") or []
        fields = "; ".join(
            f"{error.get('field')}: {error.get('message')}"
            for error in problems  # type: ignore[attr-defined]
            if isinstance(error, dict)
        )
        return FAILED, _first_line(f"{exc.message} ({fields})" if fields else exc.message)
    if isinstance(exc, UnsafeCredentials):
        return USAGE, _first_line(f"refusing to start: {exc}")
    if isinstance(exc, ConnectionError | socket.gaierror):
        return UNREACHABLE, _first_line(f"cannot connect: {exc}")
    from nats.errors import NoServersError

    from shared.db import database_unavailable

    if not isinstance(exc, TimeoutError) and database_unavailable(exc):
        return UNREACHABLE, _first_line(f"the database does not answer: {exc}")

    if isinstance(exc, NoServersError):
        return UNREACHABLE, "NATS does not answer: is `samen up` running, or is NATS_URL right?"
    said = _first_line(str(exc))
    return FAILED, f"{type(exc).__name__}{': ' + said if said else ''}"


def wants_traceback() -> bool:
    return os.environ.get("SAMEN_TRACEBACK", "").strip().lower() in ("1", "true", "yes")


def tell(exc: BaseException, *, command: str | None) -> int:
    """Say on stderr what went wrong, in one line (the traceback first when asked for), and
    return the exit code."""
    code, line = judge(exc)
    if wants_traceback():
        traceback.print_exception(exc, file=sys.stderr)
    elif code == FAILED and not isinstance(exc, SamenError):
        line += " (SAMEN_TRACEBACK=1 shows where)"
    name = f"samen {command}" if command else "samen"
    print(f"{name}: {line}", file=sys.stderr, flush=True)
    return code
