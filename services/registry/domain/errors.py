"""Validation errors that name the field, so a person can fix exactly what is wrong."""

from collections.abc import Iterator
from contextlib import contextmanager

from shared.errors import Invalid


class FieldErrors:
    """Collects `(field, message)` pairs; `raise_if_any()` raises one `Invalid` for all."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def add(self, field: str, message: str, reason: str | None = None) -> None:
        """`reason`: a machine-readable why (e.g. "unknown_municipality"), so a page can say
        it in its reader's language instead of showing `message`."""
        error = {"field": field, "message": message}
        if reason is not None:
            error["reason"] = reason
        self.errors.append(error)

    @contextmanager
    def checking(self, field: str) -> Iterator[None]:
        """Run a check that raises ValueError or Invalid; record its message under `field`."""
        try:
            yield
        except (ValueError, Invalid) as exc:
            self.add(field, exc.message if isinstance(exc, Invalid) else str(exc))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def summary(self) -> str:
        return "; ".join(f"{e['field']}: {e['message']}" for e in self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise Invalid(self.summary(), details={"errors": self.errors})
