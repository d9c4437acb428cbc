"""The gateway's repository: accounts, sessions, the audit log and rate-limit counters.

Sessions are read on every signed-in request, so the store keeps the ones it looked up for a
few seconds (`SAMEN_SESSION_CACHE_SECONDS`). Every change to a session or an account made
through the store drops that account's cached sessions at once; another gateway process learns
of it when its own copy expires.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gateway.adapters.orm import (
    account_links,
    accounts,
    audit_log,
    login_failures,
    rate_limits,
    sessions,
)
from services.gateway.caching import ExpiringCache
from services.gateway.models import AuditEntry
from services.gateway.throttle import Failures, LoginKeys
from shared.clock import Clock
from shared.errors import Conflict, Unavailable
from shared.ids import new_id


@dataclass(frozen=True)
class Account:
    account_id: str
    member_id: str
    email: str
    password_hash: str
    roles: list[str]
    language: str


@dataclass(frozen=True)
class SessionRow:
    account: Account
    kind: str
    csrf_secret: str
    expires_at: datetime


@dataclass(frozen=True)
class AccountLink:
    """A link to set a password; the signed token around `link_id` is never stored."""

    link_id: str
    account_id: str
    purpose: str
    expires_at: datetime
    used_at: datetime | None
    new_email: str | None = None  # email_change: the address it confirms


class LinkSpent(Exception):
    """The link was used already (perhaps a moment ago, by another request)."""


def _account(row: Any) -> Account:
    return Account(
        account_id=row.account_id,
        member_id=row.member_id,
        email=row.email,
        password_hash=row.password_hash,
        roles=list(row.roles or []),
        language=row.language,
    )


def normalise_email(email: str) -> str:
    return email.strip().lower()


SessionCache = ExpiringCache[str, SessionRow]  # token hash -> session, grouped by account id


class GatewayStore:
    def __init__(
        self,
        sessions_factory: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        session_cache: SessionCache | None = None,
    ) -> None:
        self._sessions = sessions_factory
        self._clock = clock
        self._session_cache = (
            session_cache if session_cache is not None else SessionCache(ttl=0, max_entries=1)
        )

    # -- accounts ----------------------------------------------------------------

    async def create_account(
        self,
        *,
        member_id: str,
        email: str,
        password_hash: str,
        roles: list[str],
        language: str = "nl",
    ) -> Account:
        account = Account(
            new_id(), member_id, normalise_email(email), password_hash, roles, language
        )
        async with self._sessions() as db:
            try:
                await db.execute(
                    insert(accounts).values(
                        account_id=account.account_id,
                        member_id=member_id,
                        email=account.email,
                        password_hash=password_hash,
                        roles=roles,
                        language=language,
                        created_at=self._clock.now(),
                    )
                )
                await db.commit()
            except IntegrityError as exc:
                raise Conflict(
                    "an account with this e-mail address already exists",
                    details={"field": "email"},
                ) from exc
        return account

    async def account_by_email(self, email: str) -> Account | None:
        async with self._sessions() as db:
            row = (
                await db.execute(select(accounts).where(accounts.c.email == normalise_email(email)))
            ).first()
        return _account(row) if row else None

    async def account_by_member(self, member_id: str) -> Account | None:
        async with self._sessions() as db:
            row = (
                await db.execute(select(accounts).where(accounts.c.member_id == member_id))
            ).first()
        return _account(row) if row else None

    async def update_account(self, account_id: str, **values: Any) -> None:
        if "email" in values:
            values["email"] = normalise_email(values["email"])
        async with self._sessions() as db:
            try:
                await db.execute(
                    update(accounts).where(accounts.c.account_id == account_id).values(**values)
                )
                await db.commit()
            except IntegrityError as exc:
                raise Conflict("this e-mail address is already in use") from exc
        self._session_cache.drop(account_id)  # roles, password or e-mail may have changed

    async def delete_account(self, account_id: str) -> None:
        async with self._sessions() as db:
            await db.execute(delete(sessions).where(sessions.c.account_id == account_id))
            await db.execute(delete(account_links).where(account_links.c.account_id == account_id))
            await db.execute(delete(accounts).where(accounts.c.account_id == account_id))
            await db.commit()
        self._session_cache.drop(account_id)

    async def set_roles_for_member(self, member_id: str, roles: list[str]) -> None:
        async with self._sessions() as db:
            changed = await db.execute(
                update(accounts)
                .where(accounts.c.member_id == member_id)
                .values(roles=roles)
                .returning(accounts.c.account_id)
            )
            account_ids = list(changed.scalars())
            await db.commit()
        for account_id in account_ids:
            self._session_cache.drop(account_id)

    # -- links to set a password ---------------------------------------------------

    async def open_link(
        self,
        *,
        account_id: str,
        purpose: str,
        lifetime: timedelta,
        new_email: str | None = None,
    ) -> AccountLink:
        now = self._clock.now()
        link = AccountLink(new_id(), account_id, purpose, now + lifetime, None, new_email)
        async with self._sessions() as db:
            await db.execute(
                insert(account_links).values(
                    link_id=link.link_id,
                    account_id=account_id,
                    purpose=purpose,
                    created_at=now,
                    expires_at=link.expires_at,
                    new_email=new_email,
                )
            )
            # Long-expired links of anyone are cleared on the way.
            await db.execute(
                delete(account_links).where(account_links.c.expires_at < now - timedelta(days=30))
            )
            await db.commit()
        return link

    async def link(self, link_id: str) -> AccountLink | None:
        async with self._sessions() as db:
            row = (
                await db.execute(select(account_links).where(account_links.c.link_id == link_id))
            ).first()
        if row is None:
            return None
        used_at = _aware(row.used_at, self._clock) if row.used_at is not None else None
        return AccountLink(
            row.link_id,
            row.account_id,
            row.purpose,
            _aware(row.expires_at, self._clock),
            used_at,
            row.new_email,
        )

    async def change_email_by_link(self, link_id: str) -> str:
        """Spend the link and give its account the address it confirms, in one transaction
        (the account's other open e-mail links are spent too). Returns the account id;
        raises LinkSpent when the link was used already, Conflict when another account has
        the address by now."""
        now = self._clock.now()
        async with self._sessions() as db:
            spent = await db.execute(
                update(account_links)
                .where(account_links.c.link_id == link_id, account_links.c.used_at.is_(None))
                .values(used_at=now)
                .returning(account_links.c.account_id, account_links.c.new_email)
            )
            row = spent.first()
            if row is None or not row.new_email:
                await db.rollback()
                raise LinkSpent(link_id)
            try:
                await db.execute(
                    update(accounts)
                    .where(accounts.c.account_id == row.account_id)
                    .values(email=row.new_email)
                )
            except IntegrityError as exc:
                await db.rollback()
                raise Conflict("this e-mail address has an account already") from exc
            await db.execute(
                update(account_links)
                .where(
                    account_links.c.account_id == row.account_id,
                    account_links.c.purpose == "email_change",
                    account_links.c.used_at.is_(None),
                )
                .values(used_at=now)
            )
            await db.commit()
        self._session_cache.drop(row.account_id)
        return str(row.account_id)

    async def set_password_by_link(self, link_id: str, password_hash: str) -> str:
        """Spend the link and set the password in one transaction; every session of the
        account ends and its other open links are spent too. Returns the account id; raises
        LinkSpent when the link was used already (two requests at once: one wins)."""
        now = self._clock.now()
        async with self._sessions() as db:
            spent = await db.execute(
                update(account_links)
                .where(account_links.c.link_id == link_id, account_links.c.used_at.is_(None))
                .values(used_at=now)
                .returning(account_links.c.account_id)
            )
            account_id = spent.scalar_one_or_none()
            if account_id is None:
                await db.rollback()
                raise LinkSpent(link_id)
            await db.execute(
                update(accounts)
                .where(accounts.c.account_id == account_id)
                .values(password_hash=password_hash)
            )
            await db.execute(delete(sessions).where(sessions.c.account_id == account_id))
            await db.execute(
                update(account_links)
                .where(account_links.c.account_id == account_id, account_links.c.used_at.is_(None))
                .values(used_at=now)
            )
            await db.commit()
        self._session_cache.drop(account_id)
        return str(account_id)

    async def account(self, account_id: str) -> Account | None:
        async with self._sessions() as db:
            row = (
                await db.execute(select(accounts).where(accounts.c.account_id == account_id))
            ).first()
        return _account(row) if row else None

    # -- sessions ----------------------------------------------------------------

    async def create_session(
        self, *, account_id: str, token_hash: str, kind: str, csrf_secret: str, lifetime: timedelta
    ) -> None:
        now = self._clock.now()
        async with self._sessions() as db:
            await db.execute(
                insert(sessions).values(
                    token_hash=token_hash,
                    account_id=account_id,
                    kind=kind,
                    csrf_secret=csrf_secret,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
            await db.execute(
                update(accounts)
                .where(accounts.c.account_id == account_id)
                .values(last_login_at=now)
            )
            # Expired sessions of anyone are cleared on the way.
            await db.execute(delete(sessions).where(sessions.c.expires_at < now))
            await db.commit()

    async def session(self, token_hash: str) -> SessionRow | None:
        """The live session of this token, from the cache while it is fresh."""
        cached = self._session_cache.get(token_hash)
        if cached is not None and cached.expires_at > self._clock.now():
            return cached
        ticket = self._session_cache.ticket()
        row = await self._session_row(token_hash)
        if row is not None:
            self._session_cache.put(token_hash, row, group=row.account.account_id, ticket=ticket)
        return row

    async def _session_row(self, token_hash: str) -> SessionRow | None:
        async with self._sessions() as db:
            row = (
                await db.execute(
                    select(sessions, accounts)
                    .join(accounts, accounts.c.account_id == sessions.c.account_id)
                    .where(sessions.c.token_hash == token_hash)
                )
            ).first()
        if row is None:
            return None
        expires_at = row.expires_at
        if expires_at.tzinfo is None:  # SQLite returns naive UTC
            expires_at = expires_at.replace(tzinfo=self._clock.now().tzinfo)
        if expires_at <= self._clock.now():
            return None
        return SessionRow(_account(row), row.kind, row.csrf_secret, expires_at)

    async def end_session(self, token_hash: str) -> None:
        async with self._sessions() as db:
            ended = await db.execute(
                delete(sessions)
                .where(sessions.c.token_hash == token_hash)
                .returning(sessions.c.account_id)
            )
            account_ids = list(ended.scalars())
            await db.commit()
        # After the commit: a look-up under way now reads the deleted row or is refused.
        for account_id in account_ids:
            self._session_cache.drop(account_id)

    # -- audit ---------------------------------------------------------------------

    async def audit(
        self,
        *,
        actor_id: str,
        action: str,
        subject_type: str,
        subject_ids: list[str],
        area: str | None = None,
        detail: str | None = None,
    ) -> None:
        if not subject_ids:
            return
        now = self._clock.now()
        async with self._sessions() as db:
            await db.execute(
                insert(audit_log),
                [
                    {
                        "entry_id": new_id(),
                        "at": now,
                        "actor_id": actor_id,
                        "action": action,
                        "subject_type": subject_type,
                        "subject_id": subject_id,
                        "area": area,
                        "detail": detail[:500] if detail else None,
                    }
                    for subject_id in subject_ids
                ],
            )
            await db.commit()

    async def audit_entries(
        self,
        *,
        actor_id: str | None = None,
        subject_ids: list[str] | None = None,
        subject_type: str | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        query = select(audit_log).order_by(audit_log.c.at.desc()).limit(limit)
        if subject_type:
            query = query.where(audit_log.c.subject_type == subject_type)
        if actor_id:
            query = query.where(audit_log.c.actor_id == actor_id)
        if subject_ids is not None:
            query = query.where(audit_log.c.subject_id.in_(subject_ids))

        async with self._sessions() as db:
            rows = (await db.execute(query)).all()
        return [AuditEntry.model_validate(row._mapping) for row in rows]

    # -- rate limits -----------------------------------------------------------------

    async def hit(self, bucket: str, *, window: timedelta) -> int:
        """Count one hit in a fixed window; returns the hits in the current window."""
        now = self._clock.now()
        async with self._sessions() as db:
            row = (
                await db.execute(select(rate_limits).where(rate_limits.c.bucket == bucket))
            ).first()
            start = row.window_start if row else None
            if start is not None and start.tzinfo is None:
                start = start.replace(tzinfo=now.tzinfo)
            if row is None:
                try:
                    await db.execute(
                        insert(rate_limits).values(bucket=bucket, window_start=now, hits=1)
                    )
                    await db.commit()
                    return 1
                except IntegrityError:
                    await db.rollback()
                    return await self.hit(bucket, window=window)
            if start is None or now - start >= window:
                await db.execute(
                    update(rate_limits)
                    .where(rate_limits.c.bucket == bucket)
                    .values(window_start=now, hits=1)
                )
                await db.commit()
                return 1
            await db.execute(
                update(rate_limits)
                .where(rate_limits.c.bucket == bucket)
                .values(hits=rate_limits.c.hits + 1)
            )
            hits = (
                await db.execute(select(rate_limits.c.hits).where(rate_limits.c.bucket == bucket))
            ).scalar_one()
            await db.commit()
            return int(hits)

    async def hits(self, bucket: str, *, window: timedelta) -> int:
        now = self._clock.now()
        async with self._sessions() as db:
            row = (
                await db.execute(select(rate_limits).where(rate_limits.c.bucket == bucket))
            ).first()
        if row is None:
            return 0
        start = row.window_start
        if start.tzinfo is None:
            start = start.replace(tzinfo=now.tzinfo)
        return 0 if now - start >= window else int(row.hits)

    async def reset(self, bucket: str) -> None:
        async with self._sessions() as db:
            await db.execute(delete(rate_limits).where(rate_limits.c.bucket == bucket))
            await db.commit()

    # -- failed log-ins -------------------------------------------------------------

    async def claim_login_try(
        self,
        keys: LoginKeys,
        decide: Callable[[Failures, Failures, Failures], timedelta | None],
        after_failure: Callable[[Failures], Failures],
    ) -> timedelta | None:
        """Hear one log-in try, or say how long its pair must wait.

        A try that is heard counts as a failure at once (`forget_login_failure` takes it back
        when the password was right), in one transaction with the check: tries sent all at
        once are counted one after the other, so a burst cannot slip through together.
        """
        for _ in range(3):  # a first failure of a key may race another's insert
            async with self._sessions() as db:
                wanted = list(keys.all())
                # A write first: SQLite takes its one writer's lock here (waiting its turn),
                # PostgreSQL locks the rows that exist; the reads below then see the latest.
                await db.execute(
                    update(login_failures)
                    .where(login_failures.c.key.in_(wanted))
                    .values(failures=login_failures.c.failures)
                )
                rows = {
                    row.key: Failures(row.failures, _aware(row.last_failure_at, self._clock))
                    for row in await db.execute(
                        select(login_failures).where(login_failures.c.key.in_(wanted))
                    )
                }
                pair, address, client = (rows.get(key, Failures()) for key in wanted)
                wait = decide(pair, address, client)
                if wait is not None:
                    await db.rollback()
                    return wait
                try:
                    for key, before in zip(wanted, (pair, address, client), strict=True):
                        after = after_failure(before)
                        values = {"failures": after.count, "last_failure_at": after.last}
                        if key in rows:
                            await db.execute(
                                update(login_failures)
                                .where(login_failures.c.key == key)
                                .values(**values)
                            )
                        else:
                            await db.execute(insert(login_failures).values(key=key, **values))
                    await db.commit()
                    return None
                except IntegrityError:
                    await db.rollback()
        raise Unavailable("Too many log-ins at the same moment; try again.")

    async def forget_login_failure(self, keys: LoginKeys) -> None:
        """The password was right: the pair starts afresh, and the failure counted for the
        address and the client in advance is taken back (their other failures stay)."""
        async with self._sessions() as db:
            await db.execute(delete(login_failures).where(login_failures.c.key == keys.pair))
            await db.execute(
                update(login_failures)
                .where(
                    login_failures.c.key.in_([keys.address, keys.client]),
                    login_failures.c.failures > 0,
                )
                .values(failures=login_failures.c.failures - 1)
            )
            await db.commit()

    async def count_accounts(self) -> int:
        async with self._sessions() as db:
            return int((await db.execute(select(func.count()).select_from(accounts))).scalar_one())


def _aware(moment: datetime, clock: Clock) -> datetime:
    """SQLite gives times back without their zone; they were written in the clock's."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=clock.now().tzinfo)
