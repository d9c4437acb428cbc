"""Sample facts for every template: `samen notify preview` and the template tests use them.

Where a template words things differently by circumstance (a phone number shared or not, a
time given or not), there is a sample for each.
"""

from typing import Any

from services.notify.domain.messages import Facts, Person
from services.notify.domain.model import Template

PUBLIC_URL = "https://samen.example"
_REQUEST: dict[str, Any] = {
    "request_id": "req-1",
    "requester_id": "mem-requester",
    "volunteer_id": "mem-volunteer",
    "category": "groceries",
    "needed_from": "2026-01-06T08:00:00+00:00",
    "needed_until": "2026-01-06T11:00:00+00:00",
}
_OTHERS = {
    "mem-requester": Person("Ans", "06 1234 5678"),
    "mem-volunteer": Person("Fatima", "06 8765 4321"),
}
_NO_PHONES = {key: Person(p.first_name) for key, p in _OTHERS.items()}

SAMPLE_CONTEXTS: dict[Template, list[dict[str, Any]]] = {
    Template.welcome: [
        {"member_id": "mem-1", "roles": ["resident"], "registered_by": None},
        {"member_id": "mem-1", "roles": ["volunteer"], "registered_by": "mem-coordinator"},
    ],
    Template.proposal: [
        {
            **_REQUEST,
            "proposal_id": "prop-1",
            "urgent": False,
            "round": 1,
            "expires_at": "2026-01-05T13:00:00+00:00",
            "distance_km": 1.2,
        },
        {
            **_REQUEST,
            "proposal_id": "prop-2",
            "urgent": True,
            "round": 2,
            "needed_from": None,
            "needed_until": None,
            "expires_at": "2026-01-05T22:30:00+00:00",
        },
    ],
    Template.proposal_withdrawn: [{**_REQUEST, "proposal_id": "prop-1"}],
    Template.request_matched: [_REQUEST, {**_REQUEST, "needed_from": None}],
    Template.match_confirmed: [_REQUEST],
    Template.reminder: [{**_REQUEST, "role": "volunteer"}, {**_REQUEST, "role": "requester"}],
    Template.escalation: [
        {**_REQUEST, "reason": "no_candidates", "rounds": 0, "urgent": False},
        {**_REQUEST, "reason": "rounds_exhausted", "rounds": 3, "urgent": True},
        {**_REQUEST, "reason": "declined_by_all", "rounds": 1, "urgent": False},
        {**_REQUEST, "reason": "manual", "rounds": 0, "urgent": False},
    ],
    Template.thanks_requester: [_REQUEST, {**_REQUEST, "volunteer_id": None}],
    Template.thanks_volunteer: [{**_REQUEST, "hours": 1.5}, {**_REQUEST, "hours": None}],
    Template.erasure_confirmed: [{"member_id": "mem-1"}],
    Template.registration_attempt: [{"member_id": "mem-1"}],
    Template.password_reset: [
        {"member_id": "mem-1", "url": f"{PUBLIC_URL}/reset/sample-reset-token",
         "expires_at": "2026-01-05T10:30:00+00:00"}
    ],
    Template.invitation: [
        {"member_id": "mem-1", "url": f"{PUBLIC_URL}/reset/sample-invitation-token",
         "expires_at": "2026-01-12T10:30:00+00:00"}
    ],
    Template.email_change: [
        {"member_id": "mem-1", "to": "nieuw@example.nl",
         "url": f"{PUBLIC_URL}/email/sample-confirm-token",
         "expires_at": "2026-01-06T10:30:00+00:00"}
    ],
    Template.email_changed: [{"member_id": "mem-1", "to": "oud@example.nl"}],
    Template.test_message: [{"member_id": "mem-1"}],
    Template.certificate_expiring: [
        {"member_id": "mem-volunteer", "expires_on": "2026-03-01", "expired": False,
         "role": "volunteer"},
        {"member_id": "mem-volunteer", "expires_on": "2026-01-05", "expired": True,
         "role": "volunteer"},
        {"volunteer_id": "mem-volunteer", "expires_on": "2026-03-01", "expired": False,
         "role": "coordinator"},
        {"volunteer_id": "mem-volunteer", "expires_on": "2026-01-05", "expired": True,
         "role": "coordinator"},
    ],
    Template.digest: [
        {
            "items": [
                {"category": "groceries", "reason": "no_candidates", "rounds": 0,
                 "area_name": "Overvecht-Noord"},
                {"category": "garden", "reason": "rounds_exhausted", "rounds": 3,
                 "area_name": None},
            ]
        }
    ],
}  # fmt: skip


def sample_facts(template: Template, lang: str) -> list[Facts]:
    """Every sample of one template in one language."""
    facts = []
    for i, context in enumerate(SAMPLE_CONTEXTS[template]):
        facts.append(
            Facts(
                template=template,
                lang=lang,
                recipient_first_name="Joop",
                context=dict(context),
                public_url=PUBLIC_URL,
                others=_OTHERS if i % 2 == 0 else _NO_PHONES,
                area_name="Overvecht-Noord" if i % 2 == 0 else None,
                links={
                    "accept_url": f"{PUBLIC_URL}/p/sample-accept-token",
                    "decline_url": f"{PUBLIC_URL}/p/sample-decline-token",
                },
            )
        )
    return facts
