"""Accept/decline links: signed tokens (itsdangerous) naming one answer to one proposal.

The signature proves notify made the link; the expiry travels inside it; that a proposal is
answered once is enforced by notify's database (see `shared.contracts.notify`), with
`redeemable` deciding what a use of a link may do given what its proposal went through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from itsdangerous import BadSignature, URLSafeSerializer

from services.notify.domain.records import LinkRecord
from shared.contracts.notify import PROPOSAL_LINK_PATH, PROPOSAL_LINK_SALT

Action = Literal["accept", "decline"]
ACTIONS: tuple[Action, ...] = ("accept", "decline")


class LinkError(Exception):
    """Not a usable link: "bad_signature" or "expired"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LinkClosed(LinkError):
    """A genuine link whose proposal is past answering with it: "answered" (the other answer
    was given), "withdrawn" or "expired" (the offer ended)."""


@dataclass(frozen=True)
class LinkClaim:
    link_id: str
    proposal_id: str
    request_id: str
    volunteer_id: str
    action: Action
    expires_at: datetime

    @classmethod
    def of(cls, link: LinkRecord, action: Action) -> LinkClaim:
        """What the link sent with a proposal says for one of its answers."""
        return cls(
            link_id=link.link_id,
            proposal_id=link.proposal_id,
            request_id=link.request_id,
            volunteer_id=link.volunteer_id,
            action=action,
            expires_at=link.expires_at,
        )


class LinkSigner:
    """Signs with one key; verifies with that key and those being rotated out.

    `secret_key`: the key, or the keys oldest first with the current one last (links signed
    with an earlier one still work until it is dropped from the list)."""

    def __init__(self, secret_key: str | Sequence[str], public_url: str) -> None:
        keys = [secret_key] if isinstance(secret_key, str) else list(secret_key)
        if not keys or not all(keys):
            raise ValueError("a link signer needs a secret key")
        # itsdangerous signs with the last key and accepts a signature by any of them.
        self._serializer = URLSafeSerializer(keys, salt=PROPOSAL_LINK_SALT)
        self._public_url = public_url.rstrip("/")

    @property
    def public_url(self) -> str:
        return self._public_url

    def token(self, claim: LinkClaim) -> str:
        return str(
            self._serializer.dumps(
                {
                    "j": claim.link_id,
                    "p": claim.proposal_id,
                    "r": claim.request_id,
                    "v": claim.volunteer_id,
                    "a": claim.action,
                    "e": int(claim.expires_at.timestamp()),
                }
            )
        )

    def url(self, claim: LinkClaim) -> str:
        return self._public_url + PROPOSAL_LINK_PATH.format(token=self.token(claim))

    def read(self, token: str, *, now: datetime, past_expiry: bool = False) -> LinkClaim:
        """The claim of a genuine, unexpired token (`past_expiry`: expired too, for links
        whose proposal has its answer already); LinkError otherwise."""
        try:
            data = self._serializer.loads(token)
            claim = LinkClaim(
                link_id=str(data["j"]),
                proposal_id=str(data["p"]),
                request_id=str(data["r"]),
                volunteer_id=str(data["v"]),
                action=data["a"],
                expires_at=datetime.fromtimestamp(int(data["e"]), tz=UTC),
            )
        except (BadSignature, KeyError, TypeError, ValueError) as exc:
            raise LinkError("bad_signature") from exc
        if claim.action not in ("accept", "decline"):
            raise LinkError("bad_signature")
        if now >= claim.expires_at and not past_expiry:
            raise LinkError("expired")
        return claim


def answer_given(state: str, used_action: str | None) -> Action | None:
    """The answer a proposal got (through a link or in the app), if it got one and we know it."""
    if state in ("used", "answered") and used_action in ("accept", "decline"):
        return "accept" if used_action == "accept" else "decline"
    return None


def redeemable(claim: LinkClaim, state: str, used_action: str | None, *, now: datetime) -> bool:
    """May this link give its answer now? True: it is open, this use answers. False: the
    proposal has this very answer already, so repeating it (after a reply that never came)
    succeeds again without a second effect, even past the expiry. LinkError("expired") for a
    late link, LinkClosed otherwise."""
    if answer_given(state, used_action) == claim.action:
        return False
    if now >= claim.expires_at:
        raise LinkError("expired")
    if state == "open":
        return True
    if state in ("used", "answered"):
        raise LinkClosed("answered")
    raise LinkClosed("withdrawn" if state == "withdrawn" else "expired")
