"""The gateway's model families (SQLModel): a thing's fields are written once, in its base
model, and its table (adapters/orm.py) and its public view (schemas) are made from that base,
so a column, its bound and the API's field cannot drift apart."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from shared.db import UtcDateTime


class AuditEntry(SQLModel):
    """One entry of the audit log (see usecases/audit.py): who did what, to which subject,
    where and when, and for a change what changed (never who it is about)."""

    at: datetime = Field(sa_type=UtcDateTime)
    actor_id: str = Field(max_length=40)
    action: str = Field(max_length=80)
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=80)
    area: str | None = Field(default=None, max_length=12)
    detail: str | None = Field(
        default=None, max_length=500, description="for a change: what changed"
    )
