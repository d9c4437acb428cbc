"""Use cases behind notify's RPC verbs (shared/contracts/notify.py)."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.notify.domain.links import (
    LinkClaim,
    LinkClosed,
    LinkError,
    LinkSigner,
    answer_given,
    redeemable,
)
from services.notify.domain.model import (
    ACCOUNT_LINK_TEMPLATES,
    ADDRESSED_TEMPLATES,
    Template,
    apprise_allowed,
    apprise_scheme,
    channel_plan,
    idempotency_key,
)
from services.notify.domain.records import DeliveryLine, InboxEntry, LinkRecord
from services.notify.service_layer.ports import Registry
from services.notify.service_layer.recording import Recipient, new_notification
from services.notify.service_layer.uow import NotifyUnitOfWork
from shared.clock import Clock
from shared.contracts.bounds import FEW
from shared.contracts.notify import (
    ACCOUNT_LINK_PATH,
    EMAIL_LINK_PATH,
    AccountNoticeKind,
    AccountNoticeQueued,
    ChannelCheckQueued,
    CooperativeChannels,
    DeliveryAttempt,
    DeliveryLog,
    DeliveryLogQuery,
    Erased,
    ErasureConfirmationQueued,
    InboxItem,
    InboxPage,
    InboxQuery,
    LinkAction,
    MarkedRead,
    MarkRead,
    MemberExport,
    NotificationInfo,
    PassedOnInfo,
    Preferences,
    PreferencesUpdate,
    ProposalLink,
    apprise_id,
)
from shared.errors import Conflict, Invalid, NotFound
from shared.events import Envelope
from shared.ids import new_id


def _item(entry: InboxEntry, language: str | None = None) -> InboxItem:
    """The item in `language` where it was written in it too, else in the reader's own."""
    texts = (entry.texts or {}).get(language) if language else None
    return InboxItem(
        item_id=entry.id,
        template=entry.template,
        subject=texts["subject"] if texts else entry.subject,
        body=texts["body"] if texts else entry.body,
        link=entry.link,
        created_at=entry.created_at,
        read_at=entry.read_at,
    )


def _attempt(line: DeliveryLine) -> DeliveryAttempt:
    return DeliveryAttempt(
        attempt_id=line.id,
        notification_id=line.notification_id,
        recipient_id=line.recipient_id,
        template=line.template,
        channel=line.channel,
        status=line.status,
        error=line.error,
        at=line.at,
        area_code=line.area_code,
    )


def check_apprise(urls: list[str], extra: frozenset[str], field: str = "apprise_urls") -> None:
    """Refuse a URL whose scheme the operator did not allow (webhooks and self-hosted
    services reach machines of the member's choosing) or that Apprise cannot use. The
    answer names the scheme only: the rest of a URL is a secret."""
    import apprise

    for url in urls:
        scheme = apprise_scheme(url)
        if not apprise_allowed(url, extra):
            raise Invalid(
                "this kind of Apprise address is not allowed here",
                details={
                    "reason": "scheme_not_allowed",
                    "errors": [{"field": field, "message": f"{scheme}:// is not allowed"}],
                },
            )
        if apprise.Apprise.instantiate(url) is None:
            raise Invalid(
                "not a usable Apprise URL",
                details={
                    "reason": "unusable",
                    "errors": [{"field": field, "message": f"{scheme}://..."}],
                },
            )


class NotifyApi:
    def __init__(
        self,
        *,
        uow: Callable[[], NotifyUnitOfWork],
        clock: Clock,
        signer: LinkSigner,
        registry: Registry,
        wake: Callable[[], None],
        apprise_schemes: frozenset[str] = frozenset(),
    ) -> None:
        self._apprise_schemes = apprise_schemes
        self._uow = uow
        self._clock = clock
        self._signer = signer
        self._registry = registry
        self._wake = wake

    # -- inbox ------------------------------------------------------------------------

    async def inbox_list(self, query: InboxQuery) -> InboxPage:
        async with self._uow() as uow:
            items, unread = await uow.notifications.inbox_page(
                query.member_id,
                unread_only=query.unread_only,
                limit=query.limit,
                before=query.before,
            )
        return InboxPage(items=[_item(row, query.language) for row in items], unread=unread)

    async def inbox_mark_read(self, command: MarkRead) -> MarkedRead:
        async with self._uow() as uow:
            updated = await uow.notifications.mark_read(
                command.member_id, command.item_ids, self._clock.now()
            )
            _, unread = await uow.notifications.inbox_page(
                command.member_id, unread_only=True, limit=1, before=None
            )
            await uow.commit()
        return MarkedRead(updated=updated, unread=unread)

    # -- preferences ------------------------------------------------------------------

    async def preferences_get(self, query: Preferences | PreferencesUpdate) -> Preferences:
        async with self._uow() as uow:
            return await uow.preferences.get_preferences(query.member_id)

    async def preferences_set(self, update: PreferencesUpdate) -> Preferences:
        changes = update.model_dump(exclude_unset=True, exclude={"member_id"})
        changes = {k: v for k, v in changes.items() if v is not None}
        if "timezone" in changes:
            try:
                ZoneInfo(changes["timezone"])
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise Invalid(
                    "unknown time zone",
                    details={"errors": [{"field": "timezone", "message": "not an IANA zone"}]},
                ) from exc
        for field in ("apprise_urls", "apprise_add"):
            if field in changes:
                check_apprise(changes[field], self._apprise_schemes, field)
        added = changes.pop("apprise_add", [])
        removed = set(changes.pop("apprise_remove", []))
        async with self._uow() as uow:
            current = await uow.preferences.get_preferences(update.member_id)
            urls = list(changes.get("apprise_urls", current.apprise_urls))
            urls = [url for url in urls if apprise_id(url) not in removed]
            urls += [url for url in added if url not in urls]
            if len(urls) > FEW:
                raise Invalid(
                    "too many Apprise addresses",
                    details={"errors": [{"field": "apprise_add", "message": f"at most {FEW}"}]},
                )
            changes["apprise_urls"] = urls
            merged = Preferences.model_validate({**current.model_dump(), **changes})
            await uow.preferences.put_preferences(merged, self._clock.now())
            await uow.commit()
        return merged

    async def cooperative_channels_get(self, cooperative_id: str) -> CooperativeChannels:
        async with self._uow() as uow:
            return await uow.preferences.get_cooperative_channels(cooperative_id)

    async def channel_check(self, member_id: str) -> ChannelCheckQueued:
        """A test message to the member over their own channels, through the same delivery
        as every message (quiet hours do not hold it: the member is waiting for it)."""
        contact = await self._registry.contact(member_id)
        if contact is None:
            raise NotFound("no such member")
        marker = Envelope(event_id=new_id(), type=CHANNEL_CHECK_TYPE, source="notify")
        async with self._uow() as uow:
            prefs = await uow.preferences.get_preferences(member_id)
            notification = new_notification(
                uow, marker, Recipient(member_id), Template.test_message, {"member_id": member_id}
            )
            await uow.notifications.add(notification)
            await uow.commit()
        self._wake()
        plan = channel_plan(
            list(prefs.channels), has_email=bool(contact.email), apprise_urls=prefs.apprise_urls
        )
        return ChannelCheckQueued(
            member_id=member_id,
            notification_id=notification.id,
            channels=[*(channel for channel in plan if channel != "inbox"), "inbox"],
        )

    async def cooperative_channels_set(self, channels: CooperativeChannels) -> CooperativeChannels:
        """Store the fields the request gives; one it leaves out keeps its stored value (in
        the same statement, so two admins changing one field each both keep their change)."""
        given = channels.model_fields_set - {"cooperative_id"}
        changes = channels.model_dump(include=given)
        if "apprise_urls" in changes:
            check_apprise(channels.apprise_urls, self._apprise_schemes)
        async with self._uow() as uow:
            if changes:
                await uow.preferences.put_cooperative_channels(
                    channels.cooperative_id, changes, self._clock.now()
                )
            stored = await uow.preferences.get_cooperative_channels(channels.cooperative_id)
            await uow.commit()
        return stored

    # -- delivery log -----------------------------------------------------------------

    async def delivery_log(self, query: DeliveryLogQuery) -> DeliveryLog:
        async with self._uow() as uow:
            lines = await uow.notifications.attempts(query)
        return DeliveryLog(attempts=[_attempt(line) for line in lines])

    # -- accept/decline links ---------------------------------------------------------

    def _claim(self, token: str) -> LinkClaim:
        """A genuine link, expired or not: whether its expiry matters depends on its row."""
        try:
            return self._signer.read(token, now=self._clock.now(), past_expiry=True)
        except LinkError as exc:
            raise self._refusal(exc, None) from exc

    @staticmethod
    def _refusal(exc: LinkError, given: LinkAction | None) -> Invalid | Conflict:
        if isinstance(exc, LinkClosed):
            return Conflict(
                {
                    "answered": "this proposal has been answered already",
                    "withdrawn": "this request has been taken up by someone else",
                }.get(exc.reason, "this proposal has expired"),
                details={"reason": exc.reason, "answer": given},
            )
        message = "this link has expired" if exc.reason == "expired" else "not a valid link"
        return Invalid(message, details={"reason": exc.reason})

    @staticmethod
    def _link(claim: LinkClaim, row: LinkRecord) -> ProposalLink:
        return ProposalLink(
            proposal_id=claim.proposal_id,
            request_id=claim.request_id,
            volunteer_id=claim.volunteer_id,
            action=claim.action,
            expires_at=claim.expires_at,
            used=row.state != "open",
            state=row.state,
            answer=answer_given(row.state, row.used_action),
        )

    async def token_verify(self, token: str) -> ProposalLink:
        claim = self._claim(token)
        async with self._uow() as uow:
            row = await uow.links.link(claim.link_id)
        if row is None:
            raise NotFound("this link is no longer known")
        link = self._link(claim, row)
        # Past its expiry a link still shows the answer its proposal got, and nothing else.
        if link.answer is None and self._clock.now() >= claim.expires_at:
            raise self._refusal(LinkError("expired"), None)
        return link

    def _answers(self, claim: LinkClaim, row: LinkRecord | None, now: datetime) -> bool:
        """True: this use answers; False: the proposal has this answer already; or refused."""
        if row is None:
            raise NotFound("this link is no longer known")
        try:
            return redeemable(claim, row.state, row.used_action, now=now)
        except LinkError as exc:
            raise self._refusal(exc, answer_given(row.state, row.used_action)) from exc

    async def token_redeem(self, token: str) -> ProposalLink:
        """Spend the link on its answer; the same link again after that is the same success
        (the caller may not have heard the first reply), the other answer a conflict."""
        claim = self._claim(token)
        now = self._clock.now()
        async with self._uow() as uow:
            row = await uow.links.link(claim.link_id)
            if self._answers(claim, row, now):
                won = await uow.links.use_link(
                    claim.link_id, state="used", action=claim.action, now=now
                )
                row = await uow.links.link(claim.link_id)
                if not won:  # another use, or the app's answer, came first: judge by what it did
                    self._answers(claim, row, now)
            await uow.commit()
        assert row is not None
        return self._link(claim, row)

    # -- a member's data --------------------------------------------------------------

    async def member_export(self, member_id: str) -> MemberExport:
        async with self._uow() as uow:
            prefs_known = await uow.preferences.get_preferences(member_id)
            inbox = await uow.notifications.member_inbox(member_id)
            sent = await uow.notifications.member_notifications(member_id)
            lines = await uow.notifications.attempts(
                DeliveryLogQuery(recipient_id=member_id, limit=1000)
            )
            tasks = await uow.tasks.member_tasks(member_id)
        return MemberExport(
            member_id=member_id,
            preferences=prefs_known,
            inbox=[_item(entry) for entry in inbox],
            notifications=[
                NotificationInfo(
                    notification_id=n.id,
                    template=n.template,
                    status=n.status.value,
                    created_at=n.created_at or n.due_at,  # always set once stored
                    sent_at=n.sent_at,
                )
                for n in sent
            ],
            deliveries=[_attempt(line) for line in lines],
            passed_on=[
                PassedOnInfo(
                    task_id=task.task_id,
                    template=task.template,
                    created_at=task.created_at,
                    done_at=task.done_at,
                )
                for task in tasks
            ],
        )

    async def member_erase(self, member_id: str) -> Erased:
        async with self._uow() as uow:
            deleted = await uow.notifications.erase_member(member_id)
            deleted += await uow.tasks.erase_member(member_id)
            await uow.commit()
        return Erased(member_id=member_id, deleted=deleted)

    async def erasure_confirm(self, member_id: str) -> ErasureConfirmationQueued:
        """Queue the confirmation of erasure while the registry still knows the address."""
        contact = await self._registry.contact(member_id)
        if contact is None or not contact.email:
            return ErasureConfirmationQueued(member_id=member_id)
        # One confirmation per member, however often this is asked: a stable "event id".
        marker_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"samen:erasure:{member_id}"))
        marker = Envelope(event_id=marker_id, type="member.erased", source="notify")
        async with self._uow() as uow:
            prefs = await uow.preferences.get_preferences(member_id)
            notification = new_notification(
                uow,
                marker,
                Recipient(member_id),
                Template.erasure_confirmed,
                {"member_id": member_id},
                inbox=False,
                snapshot={
                    "first_name": contact.first_name,
                    "name": contact.name,
                    "email": contact.email,
                    "language": prefs.language or contact.language,
                },
            )
            notification_id: str | None = notification.id
            if not await uow.notifications.add(notification):
                existing = await uow.notifications.by_key(
                    idempotency_key(marker_id, member_id, Template.erasure_confirmed.value),
                )
                notification_id = existing.id if existing else None
            await uow.commit()
        self._wake()
        return ErasureConfirmationQueued(member_id=member_id, notification_id=notification_id)

    async def account_notice(
        self,
        member_id: str,
        kind: AccountNoticeKind,
        *,
        link: str | None = None,
        expires_at: datetime | None = None,
        email: str | None = None,
    ) -> AccountNoticeQueued:
        """Queue a notice about the member's account.

        registration_attempt: at most one per member and hour, so whoever keeps registering
        someone else's address cannot flood their mailbox. password_reset / invitation /
        email_change carry a link to the gateway's own page (`ACCOUNT_LINK_PATH`, for
        email_change `EMAIL_LINK_PATH`, under the public address; any other is refused, so no
        caller can have notify mail a link elsewhere); one message per link, by e-mail only,
        and the link is forgotten once the message is out. email_change goes to the new
        address and email_changed to the old one (`email`); that address too is forgotten
        once the message is out."""
        template = ACCOUNT_NOTICES[kind]
        context: dict[str, object] = {"member_id": member_id}
        inbox = True
        if template in ADDRESSED_TEMPLATES:
            if not email:
                raise Invalid("a notice about a change of address names the other address")
            context["to"] = email
        if template in ACCOUNT_LINK_TEMPLATES:
            path = EMAIL_LINK_PATH if template is Template.email_change else ACCOUNT_LINK_PATH
            prefix = self._signer.public_url + path.format(token="")
            if (
                link is None
                or expires_at is None
                or not link.startswith(prefix)
                or not ACCOUNT_LINK_TOKEN.fullmatch(link[len(prefix) :])
            ):
                raise Invalid("an account link must be the gateway's own, with its expiry")
            contact = await self._registry.contact(member_id)
            if contact is None or not (contact.email or email):
                return AccountNoticeQueued(member_id=member_id)
            digest = hashlib.sha256(link.encode()).hexdigest()
            marker_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"samen:{kind}:{digest}"))
            context.update(url=link, expires_at=expires_at.isoformat())
            inbox = False
        elif template is Template.email_changed:
            # One per change: the old address and the hour name it.
            hour = self._clock.now().strftime("%Y-%m-%dT%H")
            digest = hashlib.sha256(f"{email}:{hour}".encode()).hexdigest()
            marker_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"samen:{kind}:{member_id}:{digest}"))
            inbox = False
        else:
            hour = self._clock.now().strftime("%Y-%m-%dT%H")
            marker_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"samen:{kind}:{member_id}:{hour}"))
        marker = Envelope(event_id=marker_id, type=ACCOUNT_NOTICE_TYPE, source="notify")
        async with self._uow() as uow:
            notification = new_notification(
                uow, marker, Recipient(member_id), template, context, inbox=inbox
            )
            added = await uow.notifications.add(notification)
            await uow.commit()
        if not added:
            return AccountNoticeQueued(member_id=member_id)
        self._wake()
        return AccountNoticeQueued(member_id=member_id, notification_id=notification.id)


ACCOUNT_LINK_TOKEN = re.compile(r"[A-Za-z0-9_.-]{1,1000}")  # an itsdangerous URL-safe token
ACCOUNT_NOTICE_TYPE = "account.notice"  # the idempotency marker's type; never published
CHANNEL_CHECK_TYPE = "test_message.send"  # likewise
ACCOUNT_NOTICES: dict[AccountNoticeKind, Template] = {
    "registration_attempt": Template.registration_attempt,
    "password_reset": Template.password_reset,
    "invitation": Template.invitation,
    "email_change": Template.email_change,
    "email_changed": Template.email_changed,
}
