"""Imports of members from a CSV a coordinator uploads in the web.

The file comes in parts (each well inside a NATS message) and is kept until it has been
imported; the import itself runs in the background (`ImportRunner`), the same use case as
`samen members import`, with the coordinator as the one who registers these people: rows
outside their cooperative's areas are rejected. Progress is visible while it runs, the report
(counts, and each rejected row's line and reason) after. An import a stopped registry left half
way is taken up again; importing is idempotent, so nobody is added twice.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from services.registry.domain.imports import (
    REQUIRED_COLUMNS,
    MemberImport,
    UnreadableFile,
    rows_from_csv,
)
from services.registry.service_layer.actors import load_actor
from services.registry.service_layer.imports import ImportReport, import_members
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.contracts.registry import (
    IMPORT_REJECTIONS_SHOWN,
    ImportRejection,
    MemberImportPart,
    MemberImportQuery,
    MemberImportView,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound, SamenError
from shared.ids import new_id
from shared.logging import get_logger

log = get_logger(__name__)

MAX_PARTS = 100  # 100 parts of 200,000 characters: about 20 MB, some 150,000 rows
REJECTIONS_KEPT = 1000
RUNNING = ("checking", "importing")
# An import whose process stopped (a crash, a deploy) is taken up again after this long.
STALE_AFTER = timedelta(minutes=10)

MakeUow = Callable[[], RegistryUnitOfWork]


@dataclass
class Progress:
    phase: str
    done: int
    total: int


Live = dict[str, Progress]
"""The progress of the imports running in this process, between writes to the database."""


def view(job: MemberImport, live: Progress | None = None) -> MemberImportView:
    state, phase, done, rows = job.state, job.phase, job.done, job.rows
    if live is not None and state in RUNNING:
        phase, done, rows = live.phase, live.done, live.total
        state = "checking" if phase == "validate" else "importing"
    return MemberImportView(
        import_id=job.import_id,
        state=state,
        file_name=job.file_name,
        phase=phase,
        rows=rows,
        done=done,
        imported=job.imported,
        volunteers=job.volunteers,
        already_imported=job.already_imported,
        rejected_count=job.rejected_count,
        rejected=[ImportRejection(**r) for r in job.rejected[:IMPORT_REJECTIONS_SHOWN]],
        error=job.error,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


async def receive_part(cmd: MemberImportPart, *, uow: RegistryUnitOfWork) -> MemberImportView:
    """Keep one part of the file; the first starts an import, the last sets it going."""
    async with uow:
        actor = await load_actor(uow, cmd.actor_id)
        if actor is None or not (actor.is_admin or actor.is_coordinator):
            raise Forbidden("only a coordinator or an admin may import members")
        now = uow.clock.now()
        if cmd.import_id is None:
            if cmd.seq != 0:
                raise Invalid("a new import starts with part 0")
            import_id = new_id()
            await uow.imports.add(
                MemberImport(
                    import_id=import_id,
                    actor_id=actor.member_id,
                    file_name=cmd.file_name,
                    state="receiving",
                    created_at=now,
                    updated_at=now,
                )
            )
        else:
            import_id = cmd.import_id
            job = await uow.imports.get(import_id, for_update=True)
            if job is None or job.actor_id != actor.member_id:
                raise NotFound("there is no such import")
            if job.state != "receiving":
                raise Conflict("this file has been received whole already")
            count, _ = await uow.imports.part_count_and_size(import_id)
            if cmd.seq != count:
                raise Conflict(f"part {count} of the file comes next", details={"next": count})
            if count >= MAX_PARTS:
                raise Invalid("the file is too large: split it into smaller files")
        await uow.imports.add_part(import_id, cmd.seq, cmd.text)
        if cmd.last:
            await uow.imports.change(import_id, {"state": "waiting", "updated_at": now})
        job = await uow.imports.get(import_id)
        assert job is not None
        answer = view(job)
        await uow.commit()
        return answer


async def get_import(
    q: MemberImportQuery, *, uow: RegistryUnitOfWork, live: Live | None = None
) -> MemberImportView:
    """Where an import stands: for the coordinator who uploaded it, and for admins."""
    async with uow:
        actor = await load_actor(uow, q.actor_id)
        job = await uow.imports.get(q.import_id)
        if job is None or (job.actor_id != q.actor_id and not (actor and actor.is_admin)):
            raise NotFound("there is no such import")
        return view(job, (live or {}).get(q.import_id))


async def claim_next(make_uow: MakeUow) -> str | None:
    async with make_uow() as uow:
        now = uow.clock.now()
        import_id = await uow.imports.claim_next(now, stale_before=now - STALE_AFTER)
        await uow.commit()
        return import_id


async def try_again_later(make_uow: MakeUow, import_id: str) -> None:
    """Put an interrupted import back in the queue (importing it again adds nobody twice);
    should even that fail, it is taken up again once it is stale."""
    try:
        async with make_uow() as uow:
            await uow.imports.change(import_id, {"state": "waiting", "updated_at": uow.clock.now()})
            await uow.commit()
    except Exception as exc:
        log.warning("interrupted import left for later", import_id=import_id, error=repr(exc))


async def _finish(make_uow: MakeUow, import_id: str, values: dict[str, Any]) -> None:
    async with make_uow() as uow:
        now = uow.clock.now()
        await uow.imports.change(import_id, {**values, "updated_at": now, "finished_at": now})
        await uow.imports.delete_parts(import_id)  # the file's personal data goes with it
        await uow.commit()


def report_values(report: ImportReport) -> dict[str, Any]:
    return {
        "state": "done",
        "phase": None,
        "rows": report.rows,
        "done": report.rows,
        "imported": report.imported,
        "volunteers": report.volunteers,
        "already_imported": report.already_imported,
        "rejected_count": len(report.rejected),
        "rejected": [
            {"line": r.line, "reason": r.reason[:500]} for r in report.rejected[:REJECTIONS_KEPT]
        ],
        "error": None,
    }


async def run_import(import_id: str, *, make_uow: MakeUow, live: Live) -> None:
    """Import a received file; its report, or why it failed, is kept with it."""
    async with make_uow() as uow:
        job = await uow.imports.get(import_id)
        if job is None:
            return
        text = await uow.imports.text(import_id)
        actor = await load_actor(uow, job.actor_id)
    if actor is None:
        await _finish(make_uow, import_id, {"state": "failed", "error": "unknown importer"})
        return
    try:
        rows = rows_from_csv(text, REQUIRED_COLUMNS)
    except UnreadableFile as exc:
        await _finish(make_uow, import_id, {"state": "failed", "error": str(exc)[:500]})
        return

    def progress(phase: str, done: int, total: int) -> None:
        live[import_id] = Progress(phase, done, total)

    may_place = None if actor.is_admin else actor.covers
    try:
        report = await import_members(
            rows,
            uow_factory=make_uow,
            registered_by=actor.member_id,
            progress=progress,
            may_place=may_place,
        )
    except SamenError as exc:
        await _finish(make_uow, import_id, {"state": "failed", "error": exc.message[:500]})
    except Exception:
        log.exception("member import failed", import_id=import_id)
        await _finish(
            make_uow,
            import_id,
            {"state": "failed", "error": "the import stopped on an error; upload it again"},
        )
    else:
        await _finish(make_uow, import_id, report_values(report))
        log.info(
            "member import done",
            import_id=import_id,
            rows=report.rows,
            imported=report.imported,
            rejected=len(report.rejected),
        )
    finally:
        live.pop(import_id, None)


async def save_progress(make_uow: MakeUow, live: Live) -> None:
    """Write the running imports' progress, for the other replicas' answers and a restart.
    Best effort: a database busy with the import itself is tried again next time."""
    for import_id, now_at in list(live.items()):
        try:
            async with make_uow() as uow:
                # The import may have finished since the loop began: its report must stand.
                await uow.imports.change_while_running(
                    import_id,
                    {
                        "state": "checking" if now_at.phase == "validate" else "importing",
                        "phase": now_at.phase,
                        "done": now_at.done,
                        "rows": now_at.total,
                        "updated_at": uow.clock.now(),
                    },
                )
                await uow.commit()
        except Exception as exc:  # e.g. SQLite locked by the import's own transaction
            log.debug("import progress not saved yet", import_id=import_id, error=repr(exc))
