"""A member's data from every service (export), and erasure everywhere."""

from services.gateway.bootstrap import Gateway
from services.gateway.principal import Principal
from shared.contracts import matching as mc
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.errors import SamenError
from shared.logging import get_logger

log = get_logger(__name__)


# ------------------------------------------------------------------ privacy


async def export(gateway: Gateway, principal: Principal) -> dict[str, object]:
    member_id = principal.member_id
    registry = await gateway.rpc.call(
        rc.MEMBER_EXPORT, rc.MemberQuery(member_id=member_id, actor_id=member_id)
    )
    matching = await gateway.rpc.call(mc.MEMBER_EXPORT, mc.MemberQuery(member_id=member_id))
    notify = await gateway.rpc.call(nc.MEMBER_EXPORT, nc.MemberQuery(member_id=member_id))
    # Who looked at my details or my requests (coordinators, from the audit log).
    looked_at = [member_id, *(r.request_id for r in matching.requests)]
    audit = await gateway.store.audit_entries(subject_ids=looked_at, limit=1000)
    return {
        "member_id": member_id,
        "gateway": {
            "account": {
                "email": principal.account.email,
                "roles": principal.account.roles,
                "language": principal.account.language,
            },
            "coordinator_views": [
                {"at": a.at.isoformat(), "action": a.action, "subject": a.subject_id} for a in audit
            ],
        },
        "registry": registry,
        "matching": matching.model_dump(mode="json"),
        "notify": notify.model_dump(mode="json"),
    }


async def erase(gateway: Gateway, principal: Principal) -> None:
    """Forget the member everywhere: notify confirms first, then the registry erases (which
    announces member.erased to every service), and the account goes last."""
    member_id = principal.member_id
    try:
        await gateway.rpc.call(nc.ERASURE_CONFIRM, nc.ErasureConfirmation(member_id=member_id))
    except SamenError as exc:
        log.warning("erasure confirmation not queued", code=exc.code)
    await gateway.rpc.call(rc.MEMBER_ERASE, rc.MemberQuery(member_id=member_id, actor_id=member_id))
    await gateway.store.delete_account(principal.account.account_id)
