"""`samen logs`: the services' log files of a `samen up`, merged into one timeline.

Under `samen up` every service writes JSON lines (`SAMEN_LOG_FORMAT=json`) to
`<data folder>/logs/<service>.log`. Each line names its service and, for work that a request
or an event started, the correlation id it carries from the HTTP request through request/reply
and the events it caused; following one id shows what became of one request everywhere.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVICE_LOGS = ("gateway", "registry", "matching", "notify")
# Shown before the other fields of a line, in this order.
LEADING = ("timestamp", "service", "level", "event")


@dataclass(frozen=True)
class LogLine:
    timestamp: str
    service: str
    fields: dict[str, Any]

    @property
    def correlation_id(self) -> str | None:
        value = self.fields.get("correlation_id")
        return str(value) if value else None

    def readable(self) -> str:
        rest = " ".join(
            f"{key}={value}" for key, value in self.fields.items() if key not in LEADING
        )
        level = str(self.fields.get("level", "")).upper()
        return (
            f"{self.timestamp} {self.service:<8} {level:<7} {self.fields.get('event', '')} {rest}"
        )


def read_log(path: Path, service: str) -> Iterator[LogLine]:
    """The JSON lines of one log file; lines that are not JSON (a crash's traceback, output a
    library printed) are passed over."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for text in handle:
            if not text.startswith("{"):
                continue
            try:
                fields = json.loads(text)
            except json.JSONDecodeError:
                continue
            if isinstance(fields, dict):
                yield LogLine(
                    str(fields.get("timestamp", "")), str(fields.get("service", service)), fields
                )


def merged(
    folder: Path,
    *,
    correlation_id: str | None = None,
    services: Iterable[str] = SERVICE_LOGS,
) -> list[LogLine]:
    """Every line of the services' logs in `folder`, oldest first, of one correlation id when
    given."""
    lines: list[LogLine] = []
    for service in services:
        path = folder / f"{service}.log"
        if path.exists():
            lines.extend(
                line
                for line in read_log(path, service)
                if correlation_id is None or line.correlation_id == correlation_id
            )
    # ISO timestamps in UTC sort as text; a stable sort keeps each file's own order on a tie.
    return sorted(lines, key=lambda line: line.timestamp)
