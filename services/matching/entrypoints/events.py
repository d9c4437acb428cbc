"""Registry events that build the read model (durable consumer "matching")."""

from typing import Any

from services.matching.service_layer import registry_events
from services.matching.service_layer.usecases import Context
from shared.consumer import EventHandler
from shared.events import (
    CooperativeCreated,
    CooperativeUpdated,
    MemberErased,
    MemberRegistered,
    MemberUpdated,
    VolunteerProfileUpdated,
)


def handlers(ctx: Context) -> dict[str, EventHandler]:
    table: dict[str, Any] = {
        MemberRegistered.TYPE: registry_events.member_registered,
        MemberUpdated.TYPE: registry_events.member_updated,
        MemberErased.TYPE: registry_events.member_erased_handler(ctx),
        VolunteerProfileUpdated.TYPE: registry_events.profile_updated_handler(ctx),
        CooperativeCreated.TYPE: registry_events.cooperative_changed,
        CooperativeUpdated.TYPE: registry_events.cooperative_changed,
    }
    return table
