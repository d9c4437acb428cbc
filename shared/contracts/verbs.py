"""Request/reply verbs as objects: each is declared once, in its service's contract module.

A `Verb` says which service answers it, its name (the subject is `samen.rpc.<service>.<name>`),
the request model it takes, the result it gives and what it does. A caller writes
`await rpc.call(rc.MEMBER_GET, rc.MemberQuery(member_id=...))` and gets an `rc.MemberInfo`
back, checked; a service answers its verbs with one table from verb to use case
(`shared.rpc.register_verbs`); the NATS permissions (`shared.nats_accounts.CALLS`) and the
AsyncAPI document are made from the same objects.
"""

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.bounds import FEW, SOME, Code, Id, Key, Name
from shared.subjects import rpc_subject

Request = TypeVar("Request", bound=BaseModel)
Result = TypeVar("Result")


class StrictRequest(BaseModel):
    """A verb's request: a field the contract does not name is refused, not ignored, so a
    caller's typo is an `invalid` answer rather than a default silently applied."""

    model_config = ConfigDict(extra="forbid")


class Empty(StrictRequest):
    """A request without arguments."""


class MemberQuery(StrictRequest):
    """One member's data: the member, and who asks (the member themselves, their
    coordinator, an admin; none when a service asks on the member's own behalf)."""

    member_id: Id
    actor_id: Id | None = None


class Health(BaseModel):
    """What `health` answers: whether the service reaches its database, how many events wait
    in its outbox, and per durable consumer how many events it handled, failed and
    dead-lettered."""

    service: Name
    status: Code = Field(description="ok, or degraded when the database does not answer")
    database: Name
    outbox_backlog: int
    consumers: dict[Key, Annotated[dict[Key, int], Field(max_length=FEW)]] = Field(
        default={}, max_length=SOME
    )


@dataclass(frozen=True, slots=True)
class Verb(Generic[Request, Result]):
    service: str
    name: str
    request: type[Request]
    result: type[Result]
    description: str

    @property
    def subject(self) -> str:
        return rpc_subject(self.service, self.name)

    def __str__(self) -> str:
        return f"{self.service}.{self.name}"


def health(service: str) -> Verb[Empty, Health]:
    """Every service answers `health` (readiness probes, `samen health`, /readyz)."""
    return Verb(service, "health", Empty, Health, "Whether the service and its database work.")


AnyVerb = Verb[Any, Any]
