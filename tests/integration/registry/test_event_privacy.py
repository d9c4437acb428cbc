"""The scan that runs after every registry test (conftest.no_personal_data_in_events) really
finds personal data, and really sees the registry's events."""

from services.registry.bootstrap import RegistryRuntime
from shared.events import MemberRegistered
from tests.integration.registry.conftest import events_of
from tests.integration.registry.test_members_rpc import register
from tests.privacy import personal, personal_data_in


def test_the_scanner_recognises_personal_data() -> None:
    personal("Ans de Vries")
    assert personal_data_in({"x": "ans@example.nl"})
    assert personal_data_in({"x": "call +31612345678"})
    assert personal_data_in({"x": "06-12345678"})
    assert personal_data_in({"x": "3561 AB"})
    assert personal_data_in({"x": "Kanaalweg 12"})
    assert personal_data_in({"x": {"nested": ["ans de vries"]}})
    clean = {
        "member_id": "019abc12-3456-7890-abcd-0123456789ab",
        "area_codes": ["BU03440312", "WK034403"],
        "occurred_at": "2026-01-05T09:00:00Z",
        "categories": ["groceries"],
        "radius_km": 3.0,
    }
    assert personal_data_in(clean) == []


async def test_events_of_a_registration_are_scanned(
    registry: RegistryRuntime, nats_url: str
) -> None:
    await register(registry, phone="+31 6 1234 5678")
    [event] = await events_of(nats_url, MemberRegistered.TYPE)
    assert personal_data_in(event.data) == []
