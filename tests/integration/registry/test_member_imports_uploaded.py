"""A coordinator's CSV, sent in parts over request/reply and imported in the background:
progress while it runs, a report with each rejected row's line and reason after, people in
other cooperatives' areas refused, and nothing of the file kept once it is done."""

import pytest
from sqlalchemy import func, select

from services.registry.adapters import orm
from services.registry.bootstrap import RegistryRuntime
from services.registry.service_layer import member_imports
from shared.contracts import registry as c
from shared.errors import Conflict, Forbidden, NotFound
from tests.integration.registry.test_members_rpc import make_coordinator, register
from tests.support import eventually

pytestmark = pytest.mark.integration

HEADER = "name,phone,postcode,house_number,roles,categories,flexible\n"
ROWS = [
    "Henk de Boer,,3561 AB,3,resident,,\n",  # no e-mail or phone: the coordinator registers him
    "Wil Jansen,0612345678,3562 BC,8,resident;volunteer,groceries,ja\n",
    "Ans Oost,,3581 AA,1,resident,,\n",  # Oost: not this coordinator's
    "Niemand,,9999 ZZ,1,resident,,\n",  # no known municipality
]


async def upload(
    registry: RegistryRuntime, actor_id: str, text: str, part_chars: int
) -> c.MemberImportView:
    parts = [text[i : i + part_chars] for i in range(0, len(text), part_chars)]
    answer: c.MemberImportView | None = None
    for seq, part in enumerate(parts):
        answer = await registry.rpc.call(
            c.MEMBER_IMPORT_PART,
            c.MemberImportPart(
                actor_id=actor_id,
                import_id=answer.import_id if answer else None,
                file_name="bewoners.csv",
                seq=seq,
                text=part,
                last=seq == len(parts) - 1,
            ),
        )
    assert answer is not None
    return answer


async def finished(registry: RegistryRuntime, import_id: str, actor_id: str) -> c.MemberImportView:
    async def probe() -> c.MemberImportView | None:
        view = await registry.rpc.call(
            c.MEMBER_IMPORT_GET, c.MemberImportQuery(import_id=import_id, actor_id=actor_id)
        )
        return view if view.state in ("done", "failed") else None

    found = await eventually(probe, timeout=30, message="the import did not finish")
    assert found is not None
    return found


async def test_an_uploaded_file_is_imported_with_a_report_per_row(
    registry: RegistryRuntime,
) -> None:
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    started = await upload(registry, coordinator.member_id, HEADER + "".join(ROWS), 40)
    assert started.state == "waiting"

    done = await finished(registry, started.import_id, coordinator.member_id)
    assert done.state == "done", done.error
    assert (done.rows, done.imported, done.volunteers) == (4, 2, 1)
    assert [(r.line, r.reason.split(":")[0]) for r in done.rejected] == [
        (4, "postcode"),
        (5, "postcode"),
    ]
    assert "outside your cooperative's areas" in done.rejected[0].reason
    assert done.finished_at is not None

    # Henk has no e-mail or phone: he is registered by the coordinator, who reaches him.
    found = await registry.rpc.call(
        c.MEMBER_LIST, c.MemberListQuery(actor_id=coordinator.member_id, q="Henk")
    )
    [henk] = found.members
    info = await registry.rpc.call(
        c.MEMBER_GET, c.MemberQuery(member_id=henk.member_id, actor_id=coordinator.member_id)
    )
    assert info.registered_by == coordinator.member_id

    async with registry.engine.connect() as connection:
        kept = await connection.scalar(select(func.count()).select_from(orm.member_import_parts))
    assert kept == 0  # the file's personal data is not kept once imported

    again = await upload(registry, coordinator.member_id, HEADER + "".join(ROWS), 10_000)
    second = await finished(registry, again.import_id, coordinator.member_id)
    assert (second.imported, second.already_imported) == (0, 2)


async def test_only_coordinators_import_and_only_they_see_their_import(
    registry: RegistryRuntime,
) -> None:
    resident = await register(registry, email="bewoner@example.nl")
    with pytest.raises(Forbidden):
        await upload(registry, resident.member_id, HEADER + ROWS[0], 10_000)

    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    started = await upload(registry, coordinator.member_id, HEADER + ROWS[0], 10_000)
    with pytest.raises(NotFound):
        await registry.rpc.call(
            c.MEMBER_IMPORT_GET,
            c.MemberImportQuery(import_id=started.import_id, actor_id=resident.member_id),
        )
    with pytest.raises(Conflict):  # received whole: no more parts
        await registry.rpc.call(
            c.MEMBER_IMPORT_PART,
            c.MemberImportPart(
                actor_id=coordinator.member_id,
                import_id=started.import_id,
                seq=1,
                text="x",
            ),
        )


async def test_a_file_that_is_not_a_members_list_fails_with_the_reason(
    registry: RegistryRuntime,
) -> None:
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    started = await upload(registry, coordinator.member_id, "naam;adres\nHenk;Hier\n", 10_000)
    done = await finished(registry, started.import_id, coordinator.member_id)
    assert done.state == "failed"
    assert done.error is not None and "house_number" in done.error


async def test_progress_saved_late_never_undoes_a_finished_import(
    registry: RegistryRuntime,
) -> None:
    """The progress writer may still hold a running import's figures when it finishes."""
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    started = await upload(registry, coordinator.member_id, HEADER + ROWS[0], 10_000)
    done = await finished(registry, started.import_id, coordinator.member_id)
    assert done.state == "done"

    stale = {started.import_id: member_imports.Progress("import", 0, 1)}
    await member_imports.save_progress(registry.make_uow, stale)

    again = await finished(registry, started.import_id, coordinator.member_id)
    assert (again.state, again.imported) == ("done", done.imported)
