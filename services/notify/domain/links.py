"""Accept/decline links: signed tokens (itsdangerous) naming one answer to one proposal.

The signature proves notify made the link; the expiry travels inside it; single use is
enforced by notify's database (see `shared.contracts.notify`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from itsdangerous import BadSignature, URLSafeSerializer

from shared.contracts.notify import PROPOSAL_LINK_PATH, PROPOSAL_LINK_SALT

Action = Literal["accept", "decline"]


class LinkError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkClaim:
    link_id: str
    proposal_id: str
    request_id: str
    volunteer_id: str
    action: Action
    expires_at: datetime


class LinkSigner:
    def __init__(self, secret_key: str, public_url: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt=PROPOSAL_LINK_SALT)
        self._public_url = public_url.rstrip("/")

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

    def read(self, token: str, *, now: datetime) -> LinkClaim:
        """The claim of a genuine, unexpired token; LinkError otherwise."""
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
        if now >= claim.expires_at:
            raise LinkError("expired")
        return claim
