"""Tables of the registry service's own database.

Lists that are filtered on (roles, categories) are stored as comma-separated text so the same
`LIKE` query works on SQLite and PostgreSQL; other lists are JSON.
"""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from shared.db import UtcDateTime
from shared.service import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

areas = Table(
    "areas",
    metadata,
    Column("code", String(10), primary_key=True),
    Column("level", String(13), nullable=False),
    Column("name", String(200), nullable=False),
    Column("parent_code", String(10), nullable=True, index=True),
    Column("municipality_code", String(6), nullable=False, index=True),
    Column("population", Integer, nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("cbs_year", Integer, nullable=True),  # the CBS classification of code and name
)

postcodes = Table(
    "postcodes",
    metadata,
    Column("pc4", String(4), primary_key=True),
    Column("municipality_code", String(6), nullable=False, index=True),
    Column("po_box", Boolean, nullable=False, default=False),
    Column("point_neighbourhood", String(10), nullable=True),
    # The national table's estimate (services/registry/domain/national_areas.py).
    Column("district_code", String(10), nullable=True),
    Column("district_share", Float, nullable=True),
    Column("district_reliability", String(6), nullable=True),
    Column("neighbourhood_code", String(10), nullable=True),
    Column("neighbourhood_share", Float, nullable=True),
    Column("municipality_share", Float, nullable=True),
)

postcode_neighbourhoods = Table(
    "postcode_neighbourhoods",
    metadata,
    Column("pc4", String(4), ForeignKey("postcodes.pc4", ondelete="CASCADE"), primary_key=True),
    Column("neighbourhood_code", String(10), primary_key=True),
    Column("population", Integer, nullable=False, default=0),
)

cooperatives = Table(
    "cooperatives",
    metadata,
    Column("cooperative_id", String(63), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("parent_id", String(63), nullable=True, index=True),
    Column("area_codes", JSON, nullable=False),
    Column("policy", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

cooperative_coordinators = Table(
    "cooperative_coordinators",
    metadata,
    Column(
        "cooperative_id",
        String(63),
        ForeignKey("cooperatives.cooperative_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("member_id", String(40), primary_key=True, index=True),
    Column("position", Integer, nullable=False, default=0),
)

members = Table(
    "members",
    metadata,
    Column("member_id", String(40), primary_key=True),
    # Personal data: all NULL once the member is erased.
    Column("name", String(200), nullable=True),
    Column("first_name", String(200), nullable=True),
    Column("email", String(254), nullable=True, unique=True),  # lower-cased
    Column("phone", String(20), nullable=True),
    Column("postcode", String(7), nullable=True),
    Column("house_number", String(16), nullable=True),
    # Kept after erasure (anonymous figures).
    Column("language", String(2), nullable=False, default="nl"),
    Column("roles", String(100), nullable=False),  # "resident,volunteer"
    Column("municipality", String(6), nullable=True),
    Column("district", String(8), nullable=True),
    Column("neighbourhood", String(10), nullable=True, index=True),
    Column("area_confidence", Float, nullable=True),
    Column("registered_by", String(40), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=True),
)

member_consents = Table(
    "member_consents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "member_id",
        String(40),
        ForeignKey("members.member_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("purpose", String(20), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("by", String(40), nullable=True),
)

member_invitations = Table(
    "member_invitations",
    metadata,
    # An imported member with an e-mail address, to be invited to set a password once.
    Column(
        "member_id",
        String(40),
        ForeignKey("members.member_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True), nullable=True),
    Index(
        "ix_member_invitations_open",
        "requested_at",
        postgresql_where=text("done_at IS NULL"),
        sqlite_where=text("done_at IS NULL"),
    ),
)

member_import_keys = Table(
    "member_import_keys",
    metadata,
    # sha256 of the normalised e-mail, or of name + postcode + house number.
    Column("key", String(64), primary_key=True),
    Column(
        "member_id",
        String(40),
        ForeignKey("members.member_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

volunteer_profiles = Table(
    "volunteer_profiles",
    metadata,
    Column(
        "member_id",
        String(40),
        ForeignKey("members.member_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("categories", String(300), nullable=False),  # ",groceries,transport,"
    Column("availability", JSON, nullable=False),
    Column("flexible", Boolean, nullable=False, default=False),
    Column("radius_km", Float, nullable=False),
    Column("languages", JSON, nullable=False),
    Column("max_open", Integer, nullable=False, default=3),
    Column("active", Boolean, nullable=False, default=True),
    Column("certificate_of_conduct_date", Date, nullable=True),
    # The last reminder about this certificate ("expiring", "expired"); a new date clears it.
    Column("certificate_notice", String(10), nullable=True),
    # A paused profile (active false) resumes by itself on this local day; None: until told.
    Column("paused_until", Date, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(
        "ix_volunteer_profiles_paused_until",
        "paused_until",
        postgresql_where=text("paused_until IS NOT NULL"),
        sqlite_where=text("paused_until IS NOT NULL"),
    ),
)

organisations = Table(
    "organisations",
    metadata,
    Column("organisation_id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("email", String(254), nullable=True),
    Column("phone", String(20), nullable=True),
    Column("website", String(500), nullable=True),
    Column("area_code", String(10), nullable=False, index=True),
    Column("address", String(300), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=True),
    # Retired: no longer on the social map, kept for the history of what was offered.
    Column("retired_at", DateTime(timezone=True), nullable=True),
)

organisation_managers = Table(
    "organisation_managers",
    metadata,
    Column(
        "organisation_id",
        String(40),
        ForeignKey("organisations.organisation_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("member_id", String(40), primary_key=True, index=True),
)

offers = Table(
    "offers",
    metadata,
    Column("offer_id", String(40), primary_key=True),
    Column(
        "organisation_id",
        String(40),
        ForeignKey("organisations.organisation_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("categories", String(300), nullable=False),  # ",groceries,meals,"
    Column("languages", JSON, nullable=False),
    Column("area_codes", JSON, nullable=False),
    Column("schedule", String(500), nullable=False, default=""),
    Column("address", String(300), nullable=True),
    Column("location_area_code", String(10), nullable=True),
    Column("email", String(254), nullable=True),
    Column("phone", String(20), nullable=True),
    Column("url", String(500), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("search_text", Text, nullable=False, default=""),  # lower-cased, for text search
    # [{"weekday": 0, "opens": "10:00", "closes": "12:00"}, ...] (0 = Monday, local time)
    Column("opening_hours", JSON, nullable=False, default=list),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=True),
    Column("retired_at", DateTime(timezone=True), nullable=True),
)

# The areas an offer serves, by the digits of the code: an area contains another exactly when
# its digits are a prefix of the other's (GM0344 > WK034403 > BU03440305).
# A CSV uploaded in the web, imported in the background: its parts until it runs, its report
# after (rejected rows: line numbers and reasons only, never the row itself).
member_imports = Table(
    "member_imports",
    metadata,
    Column("import_id", String(40), primary_key=True),
    Column("actor_id", String(40), nullable=False, index=True),
    Column("file_name", String(200), nullable=True),
    Column("state", String(10), nullable=False, index=True),
    Column("phase", String(10), nullable=True),
    Column("rows", Integer, nullable=False, default=0),
    Column("done", Integer, nullable=False, default=0),
    Column("imported", Integer, nullable=False, default=0),
    Column("volunteers", Integer, nullable=False, default=0),
    Column("already_imported", Integer, nullable=False, default=0),
    Column("rejected_count", Integer, nullable=False, default=0),
    Column("rejected", JSON, nullable=False, default=list),
    Column("error", String(500), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
)

member_import_parts = Table(
    "member_import_parts",
    metadata,
    Column(
        "import_id",
        String(40),
        ForeignKey("member_imports.import_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", Integer, primary_key=True),
    Column("text", Text, nullable=False),
)

offer_areas = Table(
    "offer_areas",
    metadata,
    Column(
        "offer_id", String(40), ForeignKey("offers.offer_id", ondelete="CASCADE"), primary_key=True
    ),
    Column("digits", String(8), primary_key=True),
    Index("ix_offer_areas_digits", "digits"),
)
