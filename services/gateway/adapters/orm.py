"""Tables of the gateway's own database: accounts, sessions, the audit log, rate limits.

Everything about a member other than how they sign in lives in the registry; the gateway keeps
only the e-mail address used as a login name, the password hash and the member id.
"""

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.gateway.models import AuditEntry
from shared.db import UtcDateTime

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(40), primary_key=True),
    Column("member_id", String(40), nullable=False, unique=True),
    # Lower-cased; unique, so one e-mail address is one login.
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("roles", JSON, nullable=False, default=list),
    Column("language", String(2), nullable=False, default="nl"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_login_at", UtcDateTime, nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    # sha256 of the token: a stolen database gives no usable session.
    Column("token_hash", String(64), primary_key=True),
    Column(
        "account_id",
        String(40),
        ForeignKey("accounts.account_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("kind", String(10), nullable=False),  # "cookie" or "bearer"
    Column("csrf_secret", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)


class GatewayTable(SQLModel, registry=registry(metadata=metadata)):
    """The base of the gateway's SQLModel tables: they belong to the gateway's metadata."""


class AuditLogRow(GatewayTable, AuditEntry, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_actor_at", "actor_id", "at"),
        Index("ix_audit_log_subject", "subject_type", "subject_id"),
    )

    entry_id: str = Field(primary_key=True, max_length=40)


# The hot path (writing an entry per look) stays a Core insert into the table.
audit_log: Table = AuditLogRow.__table__  # type: ignore[attr-defined]  # made by SQLModel

rate_limits = Table(
    "rate_limits",
    metadata,
    Column("bucket", String(200), primary_key=True),
    Column("window_start", UtcDateTime, nullable=False),
    Column("hits", Integer, nullable=False),
)

# Failed log-ins per key (services.gateway.throttle): a keyed hash of the pair, the e-mail
# address or the client, never the address itself.
login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UtcDateTime, nullable=False),
)

# Links that let a member set a password (a reset they asked for, or the invitation of a
# member the information point registered). The link itself is signed and never stored: a
# stolen database gives no usable link, only whether one is open.
account_links = Table(
    "account_links",
    metadata,
    Column("link_id", String(40), primary_key=True),
    Column(
        "account_id",
        String(40),
        ForeignKey("accounts.account_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # "password_reset" | "invitation" | "email_change"
    Column("purpose", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
    Column("new_email", String(320), nullable=True),  # email_change: the address to confirm
)
