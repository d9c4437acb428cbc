"""Tables of the notify service's own database."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from services.notify.domain.model import OPEN_STATUSES, Status
from shared.db import UtcDateTime
from shared.service import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

ID = 40
WHEN = UtcDateTime()  # every moment in UTC, also on SQLite

# The conditions of the partial indexes below, as literals: a query that repeats one of them
# word for word is known to be covered by the index, also in a prepared statement's plan.
OPEN_NOTIFICATION = text(
    "status IN ({})".format(", ".join(f"'{status.value}'" for status in OPEN_STATUSES))
)
SENDING_NOTIFICATION = text(f"status = '{Status.sending.value}'")

notifications = Table(
    "notifications",
    metadata,
    Column("id", String(ID), primary_key=True),
    # event id + recipient + template: one message per person and purpose.
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("event_id", String(ID), nullable=False),
    Column("recipient_id", String(ID), nullable=False),
    Column("recipient_kind", String(20), nullable=False, default="member"),
    Column("template", String(40), nullable=False),
    Column("request_id", String(ID), nullable=True),
    Column("urgent", Boolean, nullable=False, default=False),
    Column("digest", Boolean, nullable=False, default=False),
    # ids, categories and times only; never contact details.
    Column("context", JSON, nullable=False),
    Column("municipality", String(10), nullable=True),
    Column("district", String(10), nullable=True),
    Column("neighbourhood", String(12), nullable=True),
    Column("status", String(20), nullable=False),
    Column("due_at", WHEN, nullable=False),
    Column("channel_index", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("inbox_done", Boolean, nullable=False, default=False),
    Column("sending_since", WHEN, nullable=True),
    Column("sending_channel", String(20), nullable=True),
    Column("sent_at", WHEN, nullable=True),
    Column("sent_channel", String(20), nullable=True),
    # Only for the erasure confirmation: the address, wiped once it has gone out.
    Column("snapshot", JSON, nullable=True),
    Column("created_at", WHEN, nullable=False),
    Column("updated_at", WHEN, nullable=False),
    # The work that caused it (HTTP request, event): its sending is logged under this id.
    Column("correlation_id", String(40), nullable=True),
    # Partial: a notification leaves these indexes when it is done, so a delivery round reads
    # the open ones only, however long the history. (One on status would keep every row, and
    # the entries a status change leaves behind until the next vacuum: rounds read them all.)
    Index(
        "ix_notifications_open",
        "due_at",
        "id",
        postgresql_where=OPEN_NOTIFICATION,
        sqlite_where=OPEN_NOTIFICATION,
    ),
    Index(
        "ix_notifications_sending",
        "sending_since",
        postgresql_where=SENDING_NOTIFICATION,
        sqlite_where=SENDING_NOTIFICATION,
    ),
    Index("ix_notifications_recipient", "recipient_id"),
    Index("ix_notifications_request", "request_id"),
)

inbox_items = Table(
    "inbox_items",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("member_id", String(ID), nullable=False),
    Column("notification_id", String(ID), nullable=False, unique=True),
    Column("template", String(40), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    # The same message in each other language notify writes: {"en": {"subject", "body"}}, so
    # the inbox page shows it in the page's language (None: items from before, reader's only).
    Column("texts", JSON, nullable=True),
    Column("link", String(2000), nullable=True),
    Column("created_at", WHEN, nullable=False),
    Column("read_at", WHEN, nullable=True),
    Index("ix_inbox_items_member", "member_id", "created_at"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("notification_id", String(ID), nullable=False),
    Column("recipient_id", String(ID), nullable=False),
    Column("template", String(40), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("error", Text, nullable=True),
    Column("at", WHEN, nullable=False),
    Column("municipality", String(10), nullable=True),
    Column("district", String(10), nullable=True),
    Column("neighbourhood", String(12), nullable=True),
    Index("ix_delivery_attempts_notification", "notification_id"),
    Index("ix_delivery_attempts_at", "at"),
)

preferences = Table(
    "preferences",
    metadata,
    Column("member_id", String(ID), primary_key=True),
    Column("channels", JSON, nullable=False),
    Column("language", String(2), nullable=True),
    Column("quiet_start", String(5), nullable=False),
    Column("quiet_end", String(5), nullable=False),
    Column("timezone", String(60), nullable=False),
    Column("apprise_urls", JSON, nullable=False),
    Column("daily_digest", Boolean, nullable=False, default=False),
    Column("digest_time", String(5), nullable=True),  # local HH:MM; None: the service's
    Column("updated_at", WHEN, nullable=False),
)

cooperative_channels = Table(
    "cooperative_channels",
    metadata,
    Column("cooperative_id", String(ID), primary_key=True),
    Column("apprise_urls", JSON, nullable=False),
    Column("digest_time", String(5), nullable=True),  # local HH:MM; None: the service's
    Column("updated_at", WHEN, nullable=False),
)

proposal_links = Table(
    "proposal_links",
    metadata,
    Column("link_id", String(ID), primary_key=True),
    Column("proposal_id", String(ID), nullable=False, unique=True),
    Column("request_id", String(ID), nullable=False),
    Column("volunteer_id", String(ID), nullable=False),
    Column("expires_at", WHEN, nullable=False),
    # open | used (through a link) | answered (in the app) | withdrawn | expired
    Column("state", String(20), nullable=False),
    Column("used_action", String(10), nullable=True),  # the answer given: accept | decline
    Column("used_at", WHEN, nullable=True),
)

# What notify remembers of a request to word its messages: ids, category and times only.
requests = Table(
    "requests",
    metadata,
    Column("request_id", String(ID), primary_key=True),
    Column("requester_id", String(ID), nullable=False),
    Column("category", String(40), nullable=False),
    Column("urgent", Boolean, nullable=False, default=False),
    Column("needed_from", WHEN, nullable=True),
    Column("needed_until", WHEN, nullable=True),
)

# What notify would have sent a member without e-mail, for their coordinator to pass on (by
# phone or letter). Ids, a category and times only: names and numbers are looked up when the
# task is read, so an erased or changed contact is never kept here.
coordinator_tasks = Table(
    "coordinator_tasks",
    metadata,
    Column("task_id", String(ID), primary_key=True),
    Column("notification_id", String(ID), nullable=False, unique=True),
    Column("member_id", String(ID), nullable=False, index=True),  # whom it is to reach
    Column("template", String(40), nullable=False),
    Column("request_id", String(ID), nullable=True),
    Column("context", JSON, nullable=False),
    Column("neighbourhood", String(12), nullable=True),
    Column("created_at", WHEN, nullable=False),
    Column("done_at", WHEN, nullable=True),
    Column("done_by", String(ID), nullable=True),
)

# The coordinators a task is for: the one who registered the member and those of the
# cooperative of the member's area, as they were when the task was made.
coordinator_task_holders = Table(
    "coordinator_task_holders",
    metadata,
    Column("task_id", String(ID), primary_key=True),
    Column("coordinator_id", String(ID), primary_key=True, index=True),
)
