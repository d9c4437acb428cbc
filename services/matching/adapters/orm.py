"""Tables of the matching service's own database.

The read model (members, volunteers, candidates, cooperatives, cooperative_areas) is built only
from registry events and can be rebuilt by replaying them into an empty database. `candidates`
holds one row per (eligible volunteer, category) with the volunteer's home area, so a match looks
candidates up through the (category, neighbourhood|district|municipality) indexes and never
scans volunteers elsewhere.
"""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from shared.db import UtcDateTime
from shared.service import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

ID = 40
CODE = 12


# ------------------------------------------------------------------ read model (registry)

members = Table(
    "members",
    metadata,
    Column("member_id", String(ID), primary_key=True),
    Column("municipality", String(CODE), nullable=True),
    Column("district", String(CODE), nullable=True),
    Column("neighbourhood", String(CODE), nullable=True),
    Column("roles", JSON, nullable=False),
    Column("language", String(8), nullable=False),
    Column("consents", JSON, nullable=False),
    Column("erased", Boolean, nullable=False, default=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

volunteers = Table(
    "volunteers",
    metadata,
    Column("member_id", String(ID), primary_key=True),
    Column("categories", JSON, nullable=False),
    Column("availability", JSON, nullable=False),
    Column("flexible", Boolean, nullable=False),
    Column("radius_km", Float, nullable=False),
    Column("languages", JSON, nullable=False),
    Column("max_open", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("matching_consent", Boolean, nullable=False),
    Column("certificate_of_conduct", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

candidates = Table(
    "candidates",
    metadata,
    Column("member_id", String(ID), primary_key=True),
    Column("category", String(32), primary_key=True),
    Column("municipality", String(CODE), nullable=False),
    Column("district", String(CODE), nullable=False),
    # None where the buurt is not known (outside the areas whose postcodes give it): the
    # volunteer lives in the district, and is found from there.
    Column("neighbourhood", String(CODE), nullable=True),
    Index("ix_candidates_neighbourhood", "category", "neighbourhood"),
    Index("ix_candidates_district", "category", "district"),
    Index("ix_candidates_municipality", "category", "municipality"),
)

cooperatives = Table(
    "cooperatives",
    metadata,
    Column("cooperative_id", String(ID), primary_key=True),
    Column("parent_id", String(ID), nullable=True),
    Column("level", String(16), nullable=False),
    Column("area_codes", JSON, nullable=False),
    Column("coordinator_ids", JSON, nullable=False),
    Column("policy", JSON, nullable=False),
)

cooperative_areas = Table(
    "cooperative_areas",
    metadata,
    Column("area_code", String(CODE), primary_key=True),
    Column("cooperative_id", String(ID), primary_key=True),
    Column("has_coordinators", Boolean, nullable=False),
)

# ------------------------------------------------------------------ requests (owned here)

requests = Table(
    "requests",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("requester_id", String(ID), nullable=False),
    Column("category", String(32), nullable=False),
    Column("description", Text, nullable=True),
    Column("municipality", String(CODE), nullable=True),
    Column("district", String(CODE), nullable=True),
    Column("neighbourhood", String(CODE), nullable=True),
    Column("needed_from", UtcDateTime, nullable=True),
    Column("needed_until", UtcDateTime, nullable=True),
    Column("flexible", Boolean, nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("languages", JSON, nullable=False),
    Column("entered_by", String(ID), nullable=True),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("round", Integer, nullable=False),
    Column("expires_at", UtcDateTime, nullable=True),
    Column("round_deadline", UtcDateTime, nullable=True),
    Column("matched_volunteer_id", String(ID), nullable=True),
    Column("matched_at", UtcDateTime, nullable=True),
    Column("matched_by", String(ID), nullable=True),
    Column("escalated_at", UtcDateTime, nullable=True),
    Column("escalation_reason", String(32), nullable=True),
    Column("escalated_to", String(ID), nullable=True),
    Column("completed_at", UtcDateTime, nullable=True),
    Column("hours", Float, nullable=True),
    Column("score", Integer, nullable=True),
    Column("comment", Text, nullable=True),
    Column("requester_feedback_at", UtcDateTime, nullable=True),
    Column("volunteer_score", Integer, nullable=True),
    Column("volunteer_comment", Text, nullable=True),
    Column("volunteer_feedback_at", UtcDateTime, nullable=True),
    Column("closed_by", String(ID), nullable=True),
    Column("note", Text, nullable=True),
    Column("cancelled_at", UtcDateTime, nullable=True),
    Column("cancelled_by", String(ID), nullable=True),
    Column("version", Integer, nullable=False),
    Index("ix_requests_requester", "requester_id"),
    Index("ix_requests_volunteer_state", "matched_volunteer_id", "state"),
    Index("ix_requests_volunteer_matched_at", "matched_volunteer_id", "matched_at"),
    Index("ix_requests_neighbourhood_state", "neighbourhood", "state"),
    Index("ix_requests_district_state", "district", "state"),
    Index("ix_requests_municipality_created", "municipality", "created_at"),
    Index("ix_requests_district_created", "district", "created_at"),
    Index("ix_requests_neighbourhood_created", "neighbourhood", "created_at"),
    Index("ix_requests_completed", "completed_at"),
)

# A client's Idempotency-Key per requester: a create sent again (after a timeout or a 503)
# finds the request the first one made instead of making a second.
IDEMPOTENCY_KEY = 64
request_keys = Table(
    "request_keys",
    metadata,
    Column("requester_id", String(ID), primary_key=True),
    Column("idempotency_key", String(IDEMPOTENCY_KEY), primary_key=True),
    Column("request_id", String(ID), nullable=False),
)

proposals = Table(
    "proposals",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("request_id", String(ID), nullable=False),
    Column("volunteer_id", String(ID), nullable=False),
    Column("round", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("proposed_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("answered_at", UtcDateTime, nullable=True),
    Index("ix_proposals_request", "request_id"),
    Index("ix_proposals_volunteer_state", "volunteer_id", "state"),
)

# Durable timers: one row per (request, kind) while it is due to fire; `kind` is "round"
# (the offer time of the current round ends) or "expiry" (the needed-by time passes).
timers = Table(
    "timers",
    metadata,
    Column("request_id", String(ID), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("due_at", UtcDateTime, nullable=False),
    Index("ix_timers_due", "due_at"),
)
