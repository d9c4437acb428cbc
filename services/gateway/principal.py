"""Who is asking: the signed-in member a use case acts for (deps.py finds them)."""

from dataclasses import dataclass

from services.gateway.adapters.store import Account


@dataclass(frozen=True)
class Principal:
    """The signed-in member making this request."""

    account: Account
    via: str  # "cookie" or "bearer"
    token_hash: str
    csrf_secret: str

    @property
    def member_id(self) -> str:
        return self.account.member_id

    @property
    def roles(self) -> list[str]:
        return self.account.roles

    def has(self, *roles: str) -> bool:
        return any(role in self.account.roles for role in roles)
