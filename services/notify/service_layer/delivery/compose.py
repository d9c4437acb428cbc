"""Composing a message: the recipient (registry, preferences), the other party, the links and
the texts in every language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from services.notify.domain.delivery_rules import (
    Cancel,
    Composed,
    Recipient,
    RecipientGone,
    Row,
    member_recipient,
    needs_passing_on,
)
from services.notify.domain.links import ACTIONS, LinkClaim
from services.notify.domain.messages import LANGUAGES, Facts, Person, message_context
from services.notify.domain.model import RecipientKind, Template
from services.notify.domain.passing_on import task_holders
from services.notify.domain.records import InboxEntry, LinkRecord
from services.notify.service_layer.delivery.base import Lookup, Skip, WorkerBase, to_member
from shared.contracts.notify import Preferences
from shared.contracts.registry import MemberContact
from shared.errors import Unavailable
from shared.ids import new_id

OTHER_PARTY_TEMPLATES = {
    Template.request_matched,
    Template.match_confirmed,
    Template.reminder,
    Template.thanks_requester,
    Template.certificate_expiring,  # the coordinators hear whose certificate it is
}


class Compose(WorkerBase):
    async def _fetch_contacts(self, lookup: Lookup, rows: Sequence[Row]) -> None:
        wanted: set[str] = set()
        for row in rows:
            if to_member(row) and not row["snapshot"]:
                wanted.add(row["recipient_id"])
            if Template(row["template"]) in OTHER_PARTY_TEMPLATES:
                context = row["context"]
                wanted.update(
                    context[key]
                    for key in ("requester_id", "volunteer_id")
                    if context.get(key) and context[key] != row["recipient_id"]
                )
        if not wanted:
            return
        try:
            lookup.contacts = await self._registry.contacts(sorted(wanted))
        except Unavailable:
            lookup.registry_down = True
            return
        lookup.asked = wanted

    def _inbox_item(self, row: Row, composed: Composed, now: datetime) -> InboxEntry:
        return InboxEntry(
            id=new_id(),
            member_id=row["recipient_id"],
            notification_id=row["id"],
            template=row["template"],
            subject=composed.rendered.subject[:300],
            body=composed.rendered.text,
            texts={
                language: {"subject": message.subject[:300], "body": message.text}
                for language, message in composed.translations.items()
            }
            or None,
            link=composed.link,
            created_at=now,
        )

    async def _contact(self, lookup: Lookup, member_id: str) -> MemberContact | None:
        if member_id in lookup.asked:
            return lookup.contacts.get(member_id)
        if lookup.registry_down:
            raise Unavailable("registry did not answer")
        return await self._registry.contact(member_id)

    async def _preferences(self, lookup: Lookup, member_id: str) -> Preferences:
        if member_id not in lookup.preferences:
            async with self._uow() as uow:
                lookup.preferences[member_id] = await uow.preferences.get_preferences(member_id)
        return lookup.preferences[member_id]

    async def _cooperative_digest_time(
        self, lookup: Lookup, cooperative_id: str | None
    ) -> str | None:
        """The digest time a cooperative chose for its coordinators, if it did (fetched
        ahead for the round; asked for alone otherwise)."""
        if cooperative_id is None:
            return None
        if cooperative_id not in lookup.digest_times:
            async with self._uow() as uow:
                lookup.digest_times |= await uow.preferences.cooperative_digest_times(
                    [cooperative_id]
                )
        return lookup.digest_times[cooperative_id]

    async def _recipient(self, row: Row, lookup: Lookup) -> Recipient | None:
        if row["recipient_kind"] == RecipientKind.cooperative.value:
            cooperative = await self._registry.cooperative(row["recipient_id"])
            async with self._uow() as uow:
                urls = await uow.preferences.get_cooperative_urls(row["recipient_id"])
            name = cooperative.name if cooperative else ""
            return Recipient(
                first_name=name,
                name=name,
                language="nl",
                email=None,
                preferences=Preferences(member_id=row["recipient_id"], channels=["apprise"]),
                apprise_urls=urls,
            )
        if row["snapshot"]:
            snap = row["snapshot"]
            return Recipient(
                first_name=snap["first_name"],
                name=snap["name"],
                language=snap["language"],
                email=snap.get("email"),
                preferences=Preferences(member_id=row["recipient_id"], channels=["email"]),
                apprise_urls=[],
            )
        prefs = await self._preferences(lookup, row["recipient_id"])
        contact = await self._contact(lookup, row["recipient_id"])
        if contact is None:
            return None
        template = Template(row["template"])
        recipient = member_recipient(template, row["context"], contact, prefs)
        if needs_passing_on(template, contact, prefs):
            recipient.passed_on_by = task_holders(
                contact.via_coordinator_id, await self._coordinators(lookup, contact.neighbourhood)
            )
        return recipient

    async def _coordinators(self, lookup: Lookup, area_code: str | None) -> list[str]:
        """The coordinators of the cooperative of an area, asked once per round and area."""
        key = area_code or ""
        if key not in lookup.coordinators:
            cooperative = await self._registry.cooperative_of(area_code)
            lookup.coordinators[key] = list(cooperative.coordinator_ids) if cooperative else []
        return lookup.coordinators[key]

    async def _compose(self, row: Row, lookup: Lookup) -> Composed:
        recipient = await self._recipient(row, lookup)
        if recipient is None:
            raise Skip(RecipientGone(row))
        template = Template(row["template"])
        context: dict[str, Any] = dict(row["context"])
        others: dict[str, Person] = {}
        if template in OTHER_PARTY_TEMPLATES:
            for key in ("requester_id", "volunteer_id"):
                other_id = context.get(key)
                if other_id and other_id != row["recipient_id"] and other_id not in others:
                    contact = await self._contact(lookup, other_id)
                    if contact is not None:
                        others[other_id] = await self._other_party(lookup, contact)
        links: dict[str, str] = {}
        if template is Template.proposal:
            links = await self._links(row, context, lookup)
        if template is Template.digest:
            for item in context["items"]:
                item["area_name"] = await self._registry.area_name(item.get("area_code"))
        facts = Facts(
            template=template,
            lang=recipient.language,
            recipient_first_name=recipient.first_name,
            context=context,
            public_url=self._public_url,
            timezone=recipient.preferences.timezone,
            others=others,
            area_name=await self._registry.area_name(row["neighbourhood"] or row["district"]),
            links=links,
        )
        variables = message_context(facts)
        rendered = self._renderer.render(template.value, recipient.language, variables)
        translations = {}
        if row["recipient_kind"] == RecipientKind.member.value:  # only members have an inbox
            for language in LANGUAGES:
                if language != recipient.language:
                    other = replace(facts, lang=language)
                    translations[language] = self._renderer.render(
                        template.value, language, message_context(other)
                    )
        return Composed(
            recipient=recipient,
            rendered=rendered,
            link=variables.get("link"),
            translations=translations,
        )

    async def _other_party(self, lookup: Lookup, contact: MemberContact) -> Person:
        """What a message may say of the other side: first name, phone when they agreed to
        share it, and, for someone without e-mail, the coordinator who passes messages on."""
        phone = contact.phone if contact.share_phone_with_match else None
        if phone or contact.email or not contact.via_coordinator_id:
            return Person(contact.first_name, phone)
        coordinator = await self._contact(lookup, contact.via_coordinator_id)
        if coordinator is None:
            return Person(contact.first_name)
        return Person(
            contact.first_name,
            via_name=coordinator.name,
            via_contact=coordinator.phone or coordinator.email,
        )

    async def _links(self, row: Row, context: dict[str, Any], lookup: Lookup) -> dict[str, str]:
        proposal_id = context["proposal_id"]
        if proposal_id in lookup.links:
            link: LinkRecord | None = lookup.links[proposal_id]
        else:
            async with self._uow() as uow:
                link = await uow.links.link_by_proposal(proposal_id)
        if link is None or link.state != "open":
            raise Skip(Cancel(row, "proposal already answered or withdrawn"))
        if link.expires_at <= self._clock.now():
            raise Skip(Cancel(row, "proposal expired before it could go out"))
        return {f"{action}_url": self._signer.url(LinkClaim.of(link, action)) for action in ACTIONS}
