"""Use cases of a coordinator's CSV upload: the file goes to the registry in parts, which
imports it in the background; the pages and the API show how far it is."""

from services.gateway.bootstrap import Gateway
from services.gateway.principal import Principal
from services.gateway.usecases import coordinator_areas
from shared.contracts import registry as rc
from shared.errors import Invalid
from shared.texts import N_

# The registry's words for a row or an import it refused, shown on the page in its language.
REGISTRY_TEXTS = (
    N_("postcode: this address lies outside your cooperative's areas"),
    N_("the import stopped on an error; upload it again"),
)


def parts_of(text: str, size: int = rc.IMPORT_PART_CHARS) -> list[str]:
    """The file cut into parts of at most `size` characters, at line ends where the lines
    allow; joined they are the file again."""
    parts: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            line_end = text.rfind("\n", start, end)
            if line_end >= start:
                end = line_end + 1
        parts.append(text[start:end])
        start = end
    return parts or [""]


def file_text(data: bytes) -> str:
    """The uploaded bytes as text: UTF-8 (with or without the mark spreadsheets write), else
    the Windows encoding older spreadsheets save CSV in."""
    if b"\x00" in data:
        raise Invalid("not a CSV file", details={"field": "file", "reason": "not_csv"})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


async def upload(
    gateway: Gateway, principal: Principal, data: bytes, file_name: str | None
) -> rc.MemberImportView:
    await coordinator_areas(gateway, principal)  # coordinators and admins only
    text = file_text(data)
    if not text.strip():
        raise Invalid("the file is empty", details={"field": "file", "reason": "empty_file"})
    parts = parts_of(text)
    answer: rc.MemberImportView | None = None
    for seq, part in enumerate(parts):
        answer = await gateway.rpc.call(
            rc.MEMBER_IMPORT_PART,
            rc.MemberImportPart(
                actor_id=principal.member_id,
                import_id=answer.import_id if answer else None,
                file_name=(file_name or "")[:200] or None,
                seq=seq,
                text=part,
                last=seq == len(parts) - 1,
            ),
        )
    assert answer is not None
    await gateway.store.audit(
        actor_id=principal.member_id,
        action="members.import",
        subject_type="import",
        subject_ids=[answer.import_id],
    )
    return answer


async def status(gateway: Gateway, principal: Principal, import_id: str) -> rc.MemberImportView:
    return await gateway.rpc.call(
        rc.MEMBER_IMPORT_GET,
        rc.MemberImportQuery(import_id=import_id, actor_id=principal.member_id),
    )
