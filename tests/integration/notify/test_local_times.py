"""Times stay right from the ask to the e-mail: real matching and notify services, a real
nats-server, real databases (SQLite, and PostgreSQL when given) and a real SMTP server.

A request is asked with local times, as the gateway's ask form and API clients send them
(an offset of +01:00 in winter, +02:00 in summer); every message about it must say the same
clock times, on the same days, on both sides of the clock changes and across midnight.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from services.notify.bootstrap import Notify
from shared.clock import FrozenClock
from shared.contracts import matching as mc
from shared.contracts import notify as nc
from shared.contracts.notify import InboxQuery
from tests.integration.matching_support import START, TAAG, StartMatching, start_matching
from tests.integration.notify.harness import RegistryData, SmtpServer, soon, text_of

pytestmark = pytest.mark.integration
__all__ = ["start_matching"]


@pytest.fixture
def clock() -> FrozenClock:
    """Notify's clock at matching's start (a Monday morning, outside quiet hours)."""
    return FrozenClock(START)


CASES = [
    pytest.param(
        "2026-12-08T08:00:00+01:00",
        "2026-12-08T12:00:00+01:00",
        "dinsdag 8 december, 08:00 tot 12:00",
        id="tuesday-morning-in-winter",
    ),
    pytest.param(
        "2026-03-28T08:00:00+01:00",
        "2026-03-28T12:00:00+01:00",
        "zaterdag 28 maart, 08:00 tot 12:00",
        id="the-day-before-the-clocks-go-forward",
    ),
    pytest.param(
        "2026-03-29T08:00:00+02:00",
        "2026-03-29T12:00:00+02:00",
        "zondag 29 maart, 08:00 tot 12:00",
        id="the-morning-the-clocks-went-forward",
    ),
    pytest.param(
        "2026-10-24T08:00:00+02:00",
        "2026-10-24T12:00:00+02:00",
        "zaterdag 24 oktober, 08:00 tot 12:00",
        id="the-day-before-the-clocks-go-back",
    ),
    pytest.param(
        "2026-10-25T08:00:00+01:00",
        "2026-10-25T12:00:00+01:00",
        "zondag 25 oktober, 08:00 tot 12:00",
        id="the-morning-the-clocks-went-back",
    ),
    pytest.param(
        "2026-12-08T23:30:00+01:00",
        "2026-12-09T00:30:00+01:00",
        "dinsdag 8 december, 23:30 tot woensdag 9 december, 00:30",
        id="across-midnight",
    ),
]


async def _mail(smtp: SmtpServer, address: str, subject: str) -> EmailMessage:
    """The mail to `address` whose subject starts with `subject` (each also had a welcome)."""

    async def arrived() -> list[EmailMessage]:
        return [m for m in smtp.to(address) if str(m["Subject"]).startswith(subject)]

    return (await soon(arrived, message=f"no {subject!r} to {address}"))[0]


def _text(message: EmailMessage) -> str:
    return text_of(message).replace("\r\n", "\n")


@pytest.mark.parametrize(("needed_from", "needed_until", "said"), CASES)
async def test_every_message_about_a_request_says_the_local_times_it_was_asked_for(
    start_matching: StartMatching,
    notify: Notify,
    registry: RegistryData,
    smtp: SmtpServer,
    needed_from: str,
    needed_until: str,
    said: str,
) -> None:
    registry.person("ans", "Ans")
    registry.person("fatima", "Fatima")
    registry.person("henk", "Henk")
    matching = await start_matching()
    await matching.resident("ans", TAAG)
    await matching.volunteer("fatima", TAAG)
    await matching.volunteer("henk", TAAG)
    await matching.settle()

    # As the ask form sends it: the day and part of day in local time, with its offset.
    request = await matching.runtime.rpc.call_unchecked(
        mc.REQUEST_CREATE,
        {
            "requester_id": "ans",
            "category": "groceries",
            "description": "Boodschappen halen",
            "needed_from": needed_from,
            "needed_until": needed_until,
        },
    )
    request = mc.RequestView.model_validate(request)
    by_volunteer = {p.volunteer_id: p for p in request.proposals}
    assert set(by_volunteer) == {"fatima", "henk"}
    proposal_to_fatima = await _mail(smtp, "fatima@", "Kunt u helpen")
    await _mail(smtp, "henk@", "Kunt u helpen")  # his offer went out: he hears it is taken
    assert f"Wanneer: {said}\n" in _text(proposal_to_fatima)

    await matching.call(
        mc.PROPOSAL_ACCEPT,
        mc.ProposalAnswer(proposal_id=by_volunteer["fatima"].proposal_id, volunteer_id="fatima"),
    )

    to_ans = await _mail(smtp, "ans@", "Fatima helpt u")
    assert to_ans["Subject"] == f"Fatima helpt u {said}"
    assert f"Wanneer: {said}\n" in _text(to_ans)
    to_fatima = await _mail(smtp, "fatima@", "U helpt Ans")
    assert to_fatima["Subject"] == f"U helpt Ans {said}"
    assert f"Wanneer: {said}\n" in _text(to_fatima)
    withdrawn = await _mail(smtp, "henk@", "Al geregeld")
    assert f"({said})" in _text(withdrawn)

    inbox = await notify.runtime.rpc.call(nc.INBOX_LIST, InboxQuery(member_id="ans"))
    assert f"Fatima helpt u {said}" in [item.subject for item in inbox.items]
