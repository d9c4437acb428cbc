"""Bodies of the account API: registration, log-in, password reset, my details, e-mail
change, notification settings."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from services.gateway.schemas.base import EMAIL_PATTERN, Language, _Body
from shared.contracts.bounds import (
    FEW,
    Code,
    Distinct,
    Email,
    HouseNumber,
    Id,
    Key,
    Line,
    Name,
    Phone,
    Token,
)
from shared.contracts.notify import HHMM, Channel
from shared.events import Role


class RegisterBody(_Body):
    """Signing up as a member: name, e-mail address, password and address."""

    name: str = Field(min_length=1, max_length=200, examples=["Anna de Vries"])
    email: str = Field(max_length=320, pattern=EMAIL_PATTERN, examples=["anna@example.nl"])
    password: str = Field(min_length=8, max_length=200)
    postcode: str = Field(min_length=4, max_length=10, examples=["3561 AB"])
    house_number: str = Field(min_length=1, max_length=12, examples=["81"])
    phone: str | None = Field(default=None, max_length=30)
    language: Language = "nl"
    volunteer: bool = Field(default=False, description="also register as a volunteer")
    share_phone: bool = Field(
        default=False, description="the person I am matched with may see my phone number"
    )
    matching: bool = Field(
        default=False,
        description="my details may be used to find a match in my neighbourhood (without it "
        "a coordinator handles my requests), as the registration form asks",
    )


class Registered(BaseModel):
    """The answer to signing up: the new member."""

    member_id: Id
    area: dict[Code, Code | None] = Field(
        max_length=FEW,
        description="municipality, district and neighbourhood codes of the member's address",
    )
    neighbourhood_name: Name | None = None
    roles: list[Role] = Field(max_length=FEW)


class RegistrationReceived(BaseModel):
    """The same answer whether the address was new or had an account already (which only its
    owner hears, by e-mail): log in next."""

    status: Literal["received"] = "received"
    detail: Line


class PasswordResetBody(_Body):
    """Asking for a password reset link by e-mail."""

    email: str = Field(min_length=3, max_length=320, examples=["anna@example.nl"])


class NewPassword(_Body):
    password: str = Field(min_length=8, max_length=200)


class PasswordResetConfirm(NewPassword):
    """Setting a new password with the token from the reset link."""

    token: str = Field(min_length=1, max_length=500, description="from the e-mailed link")


class PasswordResetRequested(BaseModel):
    """The answer to a reset request (the same whether the address is known or not)."""

    detail: Line


class LoginBody(_Body):
    """Signing in with e-mail address and password."""

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    """A bearer token to send as `Authorization: Bearer <token>`."""

    access_token: Token
    token_type: Literal["bearer"] = "bearer"
    member_id: Id
    roles: list[Code] = Field(max_length=FEW)
    csrf_token: Token = Field(description="send as X-CSRF-Token when using the session cookie")


class MeOut(BaseModel):
    """The signed-in member's own account."""

    member_id: Id
    name: Name
    first_name: Name
    email: Email | None
    phone: Phone | None
    postcode: Code | None
    house_number: HouseNumber | None
    language: Language
    roles: list[Role] = Field(max_length=FEW)
    municipality: Code | None
    district: Code | None
    neighbourhood: Code | None
    neighbourhood_name: Name | None
    consents: dict[Key, bool] = Field(max_length=FEW)


class MePatch(_Body):
    """Changes to one's own account; fields left out stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    postcode: str | None = Field(default=None, min_length=4, max_length=10)
    house_number: str | None = Field(default=None, min_length=1, max_length=12)
    language: Language | None = None
    consents: dict[Literal["matching", "share_phone", "share_email"], bool] | None = Field(
        default=None, max_length=FEW
    )


class EmailChangeBody(_Body):
    """Asking to change one's e-mail address (a link goes to the new one)."""

    email: str = Field(max_length=320, pattern=EMAIL_PATTERN, examples=["anna@example.nl"])


class EmailChangeRequested(BaseModel):
    """The answer to an e-mail change: a link was sent to the new address."""

    detail: Line


class EmailChangeConfirm(_Body):
    """Confirming a new e-mail address with the token from the link."""

    token: str = Field(min_length=1, max_length=500, description="from the e-mailed link")


class AppriseAddress(BaseModel):
    """One Apprise address, masked: the whole URL is a secret and is never shown again."""

    id: Code = Field(description="names it in `apprise_remove`")
    scheme: Code
    masked: Line = Field(examples=["tgram://…7Q"])


class NotificationsOut(BaseModel):
    """How a member is told of proposals and news: the channels, in order."""

    channels: list[Channel] = Field(
        max_length=FEW,
        description="in order of preference; the inbox on this site always gets the message, "
        "and the channels after `inbox` are not tried",
    )
    apprise: list[AppriseAddress] = Field(max_length=FEW)
    quiet_start: Code = Field(description="local time (HH:MM) from which messages wait")
    quiet_end: Code = Field(description="local time (HH:MM) until which they wait")
    language: Language | None = Field(description="None: the language of my details")
    digest: Literal["immediate", "daily"] = Field(
        description="coordinators: escalations at once, or once a day at `digest_time`"
    )
    digest_time: Code = Field(description="local time (HH:MM) of the daily digest")
    may_choose_digest: bool = Field(description="coordinators and admins only")


class NotificationsPatch(_Body):
    """Only the fields given change; the Apprise addresses change one by one."""

    channels: Annotated[list[Channel], Distinct] | None = Field(
        default=None, min_length=1, max_length=3, examples=[["email", "apprise", "inbox"]]
    )
    apprise_add: list[Annotated[str, Field(min_length=4, max_length=2000)]] | None = Field(
        default=None,
        max_length=5,
        description="Apprise URLs to add (tgram://..., twilio://..., ...); webhooks (json, xml, "
        "form, http) and self-hosted services only where the operator allows them",
    )
    apprise_remove: list[Annotated[str, Field(max_length=16)]] | None = Field(
        default=None, max_length=FEW, description="`id`s of addresses to remove"
    )
    quiet_start: str | None = Field(default=None, max_length=5, pattern=HHMM, examples=["22:00"])
    quiet_end: str | None = Field(default=None, max_length=5, pattern=HHMM, examples=["07:30"])
    language: Language | None = None
    digest: Literal["immediate", "daily"] | None = None
    digest_time: str | None = Field(default=None, max_length=5, pattern=HHMM, examples=["08:00"])


class TestMessageOut(BaseModel):
    """The answer to a test message: where it was sent."""

    detail: Line
    channels: list[Channel] = Field(max_length=FEW, description="where it goes, in order")
