"""Public RPC verbs of the notify service (samen.rpc.notify.<verb>).

The gateway calls these on behalf of a logged-in member (inbox, preferences), a coordinator
(delivery log) or anyone holding an accept/decline link (token.verify / token.redeem, no login).
Authorisation is the gateway's job: notify trusts the member_id it is given.

Accept/decline links
--------------------
A `match.proposed` message carries two links, `{SAMEN_PUBLIC_URL}/p/{token}`, one per action.
The token is an itsdangerous `URLSafeSerializer` string signed with `SAMEN_SECRET_KEY` (salt
`samen.proposal-link`; keys in `SAMEN_SECRET_KEY_PREVIOUS` still verify) around
`{"j": link_id, "p": proposal_id, "r": request_id, "v": volunteer_id,
"a": "accept"|"decline", "e": expires_at_unix}`. Both links of one proposal
share one `link_id`: the proposal is answered once. Notify's database records that answer
(`used` through a link, `answered` in the app, with the answer given).

- `token.verify` looks without using it (for a confirmation page: mail scanners that open
  links must not answer a proposal; the gateway shows "Accept?" on GET and answers on POST).
  It says what the link stands for, its `state` and the `answer` its proposal got, if any;
  past its expiry only a link whose proposal got an answer is still shown.
- `token.redeem` records the link's answer, atomically, and is idempotent: the first call
  spends it; the same link again (a retry whose reply was lost) succeeds again with the same
  `ProposalLink` and changes nothing, also when the proposal got this answer in the app and
  also past the expiry. The other link of an answered proposal is `conflict`
  (details.reason = "answered", details.answer = the answer given); a withdrawn proposal or
  one whose offer ended is `conflict` (reason "withdrawn" | "expired"). A bad signature or a
  changed token is `invalid` (details.reason = "bad_signature"); a token past its expiry whose
  proposal has no answer is `invalid` (details.reason = "expired").

The caller checks the link against what it is used for (proposal, action) with `token.verify`,
then has matching answer (idempotent too), and only then calls `token.redeem`: a refused or
failed answer leaves the link unspent, and a use whose outcome is unknown can be repeated.
"""

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.contracts.bounds import (
    FEW,
    MANY,
    SOME,
    Code,
    Email,
    Id,
    Line,
    Name,
    Phone,
    Text,
    Token,
    Url,
)
from shared.contracts.verbs import MemberQuery as MemberQuery
from shared.contracts.verbs import Verb
from shared.settings import get_settings

PROPOSAL_LINK_PATH = "/p/{token}"
PROPOSAL_LINK_SALT = "samen.proposal-link"
ACCOUNT_LINK_PATH = "/reset/{token}"
"""The gateway's page behind a password reset or invitation link."""
EMAIL_LINK_PATH = "/email/{token}"
"""The gateway's page behind the link that confirms a new e-mail address."""

Channel = Literal["email", "inbox", "apprise"]
"""Channels, in a member's order of preference. The in-app inbox always gets the message;
"inbox" in the list ends it: the channels after it are not tried ("inbox" alone: nothing
but the inbox)."""
DEFAULT_CHANNELS: tuple[Channel, ...] = ("email", "apprise")
HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
Language = Literal["nl", "en"]
LinkAction = Literal["accept", "decline"]
LinkState = Literal["open", "used", "answered", "withdrawn", "expired"]
"""open; used (answered through a link); answered (in the app); withdrawn; expired (offer over)."""
AccountNoticeKind = Literal[
    "registration_attempt", "password_reset", "invitation", "email_change", "email_changed"
]
"""registration_attempt: someone tried to make a new account with the member's e-mail address
(the gateway answers that attempt exactly as a new registration, so the owner hears it here).
password_reset: the member asked for a link to set a new password (`link`, `expires_at`).
invitation: the information point registered the member with an e-mail address; the link lets
them set a first password (`link`, `expires_at`).
email_change: the member asked to use a new e-mail address; the link (`EMAIL_LINK_PATH`)
confirms it and goes to that new address (`email`), which the registry does not hold yet.
email_changed: the address has changed; the notice goes to the old address (`email`)."""
ACCOUNT_LINK_KINDS: frozenset[str] = frozenset({"password_reset", "invitation", "email_change"})
"""The kinds that carry a link: a secret that opens the account. They travel only in this
request/reply (never in an event, never in a log line), go by e-mail only (not to the inbox
or to Apprise channels), and notify forgets the link once the message is out."""


class InboxQuery(BaseModel):
    member_id: Id
    unread_only: bool = False
    limit: int = Field(default=50, ge=1, le=200)
    before: datetime | None = Field(default=None, description="page: items older than this")
    language: Language | None = Field(
        default=None,
        description="each item in this language (the page's); None: in the member's own",
    )


class InboxItem(BaseModel):
    item_id: Id
    template: Name
    subject: Line
    body: Text = Field(description="plain text, in the language asked for, else the member's")
    link: Url | None = Field(default=None, description="where the message points, if anywhere")
    created_at: datetime
    read_at: datetime | None = None


class InboxPage(BaseModel):
    items: list[InboxItem] = Field(max_length=MANY)
    unread: int = Field(description="unread items in the whole inbox")


class MarkRead(BaseModel):
    member_id: Id
    item_ids: list[Id] | None = Field(
        max_length=SOME, default=None, description="None marks everything read"
    )


class MarkedRead(BaseModel):
    updated: int
    unread: int


def apprise_id(url: str) -> str:
    """A stable name of one Apprise URL that gives nothing of it away (to remove it by)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def masked_apprise(url: str) -> str:
    """An Apprise URL as a page may show it: its scheme and its last two characters."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://…{rest[-2:]}" if len(rest) > 8 else f"{scheme}://…"


class Preferences(BaseModel):
    member_id: Id
    channels: list[Channel] = Field(max_length=FEW, default_factory=lambda: list(DEFAULT_CHANNELS))
    language: Language | None = Field(default=None, description="None: the registry's language")
    quiet_start: Code = Field(default="22:00", pattern=HHMM)
    quiet_end: Code = Field(default="08:00", pattern=HHMM)
    timezone: Name = Field(
        default_factory=lambda: get_settings().time_zone,
        description="IANA zone of the member's messages; default the cooperative's",
    )
    apprise_urls: list[Url] = Field(
        max_length=FEW, default_factory=list, description="sms://, tgram://, ..."
    )
    daily_digest: bool = Field(default=False, description="coordinators: escalations once a day")
    digest_time: Code | None = Field(
        default=None, pattern=HHMM, description="local time of the daily digest; None: 08:00"
    )


class PreferencesUpdate(BaseModel):
    """Only the fields given change. `apprise_add` / `apprise_remove` change the Apprise URLs
    one by one (by `apprise_id`), so a caller that only sees them masked keeps the others."""

    member_id: Id
    channels: list[Channel] | None = Field(default=None, max_length=FEW)
    language: Language | None = None
    quiet_start: Code | None = Field(default=None, pattern=HHMM)
    quiet_end: Code | None = Field(default=None, pattern=HHMM)
    timezone: Name | None = None
    apprise_urls: list[Url] | None = Field(default=None, max_length=FEW)
    apprise_add: list[Url] | None = Field(default=None, max_length=FEW)
    apprise_remove: list[Code] | None = Field(
        default=None, max_length=FEW, description="apprise_id of each URL to drop"
    )
    daily_digest: bool | None = None
    digest_time: Code | None = Field(default=None, pattern=HHMM)


class CooperativeQuery(BaseModel):
    cooperative_id: Id


class CooperativeChannels(BaseModel):
    """A cooperative's own settings for escalations: the Apprise URLs where its coordinators
    hear of them (a group chat) and the time of its coordinators' daily digest.

    `cooperative_channels.set` takes the whole state, as `cooperative_channels.get` gave it
    (read, change, send back). A field left out of the request altogether keeps its stored
    value, so a caller that knows only the URLs does not wipe the digest time, or the other
    way round; a field sent as null or empty is set so."""

    cooperative_id: Id
    apprise_urls: list[Url] = Field(max_length=FEW, default_factory=list)
    digest_time: Code | None = Field(
        default=None,
        pattern=HHMM,
        description=(
            "local HH:MM at which those of the cooperative's coordinators who chose a daily"
            " digest get its escalations, unless they chose a time of their own;"
            " None: the service's default (08:00)"
        ),
    )


class DeliveryLogQuery(BaseModel):
    """For coordinators: attempts on messages about their areas (prefix match on CBS codes)."""

    area_codes: list[Code] = Field(
        max_length=SOME, default_factory=list, description="empty: all areas"
    )
    recipient_id: Id | None = None
    notification_id: Id | None = None
    status: Literal["sent", "failed", "held", "cancelled", "unknown"] | None = None
    limit: int = Field(default=100, ge=1, le=1000)


class DeliveryAttempt(BaseModel):
    attempt_id: Id
    notification_id: Id
    recipient_id: Id
    template: Name
    channel: Code
    status: Literal["sent", "failed", "held", "cancelled", "unknown"]
    error: Line | None = None
    at: datetime
    area_code: Code | None = None


class DeliveryLog(BaseModel):
    attempts: list[DeliveryAttempt] = Field(max_length=MANY)


class TokenRequest(BaseModel):
    token: Token


class ProposalLink(BaseModel):
    """What a valid accept/decline link stands for."""

    proposal_id: Id
    request_id: Id
    volunteer_id: Id
    action: LinkAction
    expires_at: datetime
    used: bool = Field(default=False, description="the proposal is past answering (state)")
    state: LinkState = "open"
    answer: LinkAction | None = Field(
        default=None, description="the answer the proposal got, through a link or in the app"
    )


class NotificationInfo(BaseModel):
    notification_id: Id
    template: Name
    status: Code
    created_at: datetime
    sent_at: datetime | None = None


class PassedOnInfo(BaseModel):
    task_id: Id
    template: Name
    created_at: datetime
    done_at: datetime | None = None


class MemberExport(BaseModel):
    """Everything notify holds about one member."""

    member_id: Id
    preferences: Preferences | None
    inbox: list[InboxItem] = Field(max_length=MANY)
    notifications: list[NotificationInfo] = Field(max_length=MANY)
    deliveries: list[DeliveryAttempt] = Field(max_length=MANY)
    passed_on: list[PassedOnInfo] = Field(
        max_length=MANY,
        default_factory=list,
        description="messages a coordinator was to pass on to the member (no e-mail)",
    )


class Erased(BaseModel):
    member_id: Id
    deleted: int = Field(description="rows deleted or anonymised")


class ErasureConfirmation(BaseModel):
    """Call BEFORE registry erases the member: notify fetches the contact now and keeps only
    the address for the confirmation until it has gone out."""

    member_id: Id


class ErasureConfirmationQueued(BaseModel):
    member_id: Id
    notification_id: Id | None = Field(default=None, description="None: nowhere to send it")


class AccountNotice(BaseModel):
    """Tell a member something about their account, over their own channels. Only the id
    travels: notify looks the address up in the registry, as for every message; only the
    notices about a change of address name the other address (`email`)."""

    member_id: Id
    kind: AccountNoticeKind
    link: Url | None = Field(
        default=None,
        description="password_reset / invitation: the signed link to set a password; "
        "email_change: the link that confirms the new address (a secret)",
    )
    expires_at: datetime | None = Field(default=None, description="when the link stops working")
    email: Email | None = Field(
        default=None,
        description="email_change: the new address (the link goes there); email_changed: the "
        "old address (the notice goes there); none for other kinds",
    )


class ChannelCheck(BaseModel):
    """Send the member a test message over their channels, as any message goes."""

    member_id: Id


class ChannelCheckQueued(BaseModel):
    member_id: Id
    notification_id: Id
    channels: list[Channel] = Field(
        max_length=FEW, description="where it will go, in order (the inbox always)"
    )


class AccountNoticeQueued(BaseModel):
    member_id: Id
    notification_id: Id | None = Field(
        default=None,
        description="None: registration_attempt: one went out for this member within the hour "
        "already; a link: the same link was queued already, or the member has no e-mail address",
    )


# ------------------------------------------------------------------ passing messages on


TaskSide = Literal["requester", "volunteer"]


class TaskQuery(BaseModel):
    coordinator_id: Id
    open_only: bool = Field(default=True, description="only the tasks not yet ticked done")
    limit: int = Field(default=100, ge=1, le=500)


class TaskRef(BaseModel):
    task_id: Id
    coordinator_id: Id = Field(description="only a coordinator the task is for sees it")


class TaskPerson(BaseModel):
    """The other side of the help, as far as they agreed to share it with their match."""

    first_name: Name
    phone: Phone | None = None
    email: Email | None = None


class PassOnTask(BaseModel):
    """A message notify would have sent a member without e-mail, as a task for their
    coordinator: whom to call and what to tell them. Names and numbers are looked up in the
    registry when the task is read; the task itself keeps ids, a category and times only."""

    task_id: Id
    template: Name = Field(description="the message it stands for (request_matched, ...)")
    request_id: Id | None = None
    resident_id: Id
    resident_name: Name = Field(description="'' when the registry no longer knows them")
    resident_phone: Phone | None = None
    side: TaskSide = "requester"
    other: TaskPerson | None = None
    category: Name | None = None
    needed_from: datetime | None = None
    needed_until: datetime | None = None
    area: Code | None = Field(default=None, description="the member's neighbourhood")
    cooperative_name: Name | None = None
    created_at: datetime
    done_at: datetime | None = None
    done_by: Id | None = None


class TaskList(BaseModel):
    tasks: list[PassOnTask] = Field(max_length=500)


# ----------------------------------------------------------------- verbs
# fmt: off
_SERVICE = "notify"
INBOX_LIST = Verb(_SERVICE, "inbox.list", InboxQuery, InboxPage,
    "A member's in-app messages, newest first, and how many are unread.")
INBOX_MARK_READ = Verb(_SERVICE, "inbox.mark_read", MarkRead, MarkedRead,
    "Mark some (or all) of a member's messages read.")
PREFERENCES_GET = Verb(_SERVICE, "preferences.get", MemberQuery, Preferences,
    "A member's channels, language, quiet hours and digest choice (defaults if unset).")
PREFERENCES_SET = Verb(_SERVICE, "preferences.set", PreferencesUpdate, Preferences,
    "Change the given fields of a member's preferences.")
COOPERATIVE_CHANNELS_GET = Verb(_SERVICE, "cooperative_channels.get",
    CooperativeQuery, CooperativeChannels,
    "A cooperative's Apprise URLs for escalations and its coordinators' digest time.")
COOPERATIVE_CHANNELS_SET = Verb(_SERVICE, "cooperative_channels.set",
    CooperativeChannels, CooperativeChannels,
    "Set a cooperative's channels and digest time: the whole state, as `.get` gave it.")
DELIVERY_LOG = Verb(_SERVICE, "delivery.log", DeliveryLogQuery, DeliveryLog,
    "Delivery attempts, newest first (coordinators: filter by their area codes).")
TOKEN_VERIFY = Verb(_SERVICE, "token.verify", TokenRequest, ProposalLink,
    "What an accept/decline link stands for, without using it.")
TOKEN_REDEEM = Verb(_SERVICE, "token.redeem", TokenRequest, ProposalLink,
    "Use an accept/decline link: the first call wins, later calls are a conflict.")
ERASURE_CONFIRM = Verb(_SERVICE, "erasure.confirm", ErasureConfirmation, ErasureConfirmationQueued,
    "Queue the erasure confirmation; call before the registry erases the member.")
MEMBER_EXPORT = Verb(_SERVICE, "member.export", MemberQuery, MemberExport,
    "Everything notify holds about a member.")
MEMBER_ERASE = Verb(_SERVICE, "member.erase", MemberQuery, Erased,
    "Delete what notify holds about a member (member.erased does the same).")
ACCOUNT_NOTICE = Verb(_SERVICE, "account.notice", AccountNotice, AccountNoticeQueued,
    "Tell a member something about their account (someone tried to register with their address; "
    "the link to set a password); the address comes from the registry.")
TEST_MESSAGE = Verb(_SERVICE, "test_message.send", ChannelCheck, ChannelCheckQueued,
    "Send the member a test message over their own channels (the real delivery).")
TASKS_LIST = Verb(_SERVICE, "tasks.list", TaskQuery, TaskList,
    "A coordinator's messages to pass on to members without e-mail, oldest first.")
TASK_GET = Verb(_SERVICE, "tasks.get", TaskRef, PassOnTask,
    "One task, when it is for this coordinator.")
TASK_DONE = Verb(_SERVICE, "tasks.done", TaskRef, PassOnTask,
    "Tick a task done (who and when); again changes nothing.")
# fmt: on
