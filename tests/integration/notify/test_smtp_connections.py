"""The SMTP channel keeps its connections open from one message to the next, against a real
SMTP server (aiosmtpd): how many connections carry how many messages, and what happens when
the server drops one or refuses a message."""

import asyncio
from typing import Any

import pytest

from services.notify.adapters import channels
from services.notify.adapters.channels import SmtpChannel, SmtpConfig
from services.notify.bootstrap import email_channel
from services.notify.config import NotifySettings
from services.notify.domain.messages import DeliveryError, Email
from services.notify.service_layer.delivery import DeliveryConfig
from shared.clock import SystemClock
from shared.settings import Settings
from tests.integration.notify.harness import SmtpServer

SENDER = "Samen <noreply@samen.example>"


def channel(smtp: SmtpServer, **options: Any) -> SmtpChannel:
    return SmtpChannel(SmtpConfig.from_url(smtp.url), sender=SENDER, clock=SystemClock(), **options)


def email(n: int) -> Email:
    return Email(
        to=f"lid-{n}@samen.example",
        to_name=f"Lid {n}",
        subject=f"Bericht {n}",
        text=f"Tekst {n}",
        html=f"<p>Tekst {n}</p>",
        message_id=f"<bericht-{n}@samen.example>",
    )


def received(smtp: SmtpServer) -> list[str]:
    return sorted(str(message["To"]) for message in smtp.received)


async def test_messages_one_after_another_share_one_connection(smtp: SmtpServer) -> None:
    mail = channel(smtp)
    for n in range(5):
        await mail.send(email(n))
    assert len(smtp.received) == 5
    assert smtp.connections == 1
    assert mail.open_connections == 1
    await mail.close()
    assert smtp.quits == 1
    assert mail.open_connections == 0


async def test_messages_sent_at_once_take_a_connection_each_and_leave_them_for_the_next(
    smtp: SmtpServer,
) -> None:
    mail = channel(smtp)
    await asyncio.gather(*(mail.send(email(n)) for n in range(4)))
    assert smtp.connections == 4
    await asyncio.gather(*(mail.send(email(n)) for n in range(4, 8)))
    assert len(smtp.received) == 8
    assert smtp.connections == 4  # the same four again
    await mail.close()
    assert smtp.quits == 4


async def test_no_more_than_max_idle_connections_wait(smtp: SmtpServer) -> None:
    mail = channel(smtp, max_idle=1)
    await asyncio.gather(*(mail.send(email(n)) for n in range(3)))
    assert len(smtp.received) == 3
    assert mail.open_connections == 1
    assert smtp.quits == 2  # the two the channel did not keep said goodbye


async def test_a_connection_carries_at_most_messages_per_connection(smtp: SmtpServer) -> None:
    mail = channel(smtp, messages_per_connection=2)
    for n in range(5):
        await mail.send(email(n))
    assert len(smtp.received) == 5
    assert smtp.connections == 3
    assert smtp.quits == 2
    await mail.close()
    assert smtp.quits == 3


async def test_a_connection_the_server_dropped_is_replaced_and_no_message_is_lost(
    smtp: SmtpServer,
) -> None:
    smtp.behaviour.drop_after = 2
    mail = channel(smtp)
    for n in range(4):
        await mail.send(email(n))
        await asyncio.sleep(0.2)  # after every second message the server has hung up by now
    assert received(smtp) == [f"Lid {n} <lid-{n}@samen.example>" for n in range(4)]
    assert smtp.connections == 2


async def test_a_connection_idle_for_a_while_is_asked_whether_it_is_still_there(
    smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(channels, "CHECK_IDLE_AFTER_SECONDS", 0.0)
    mail = channel(smtp)
    for n in range(3):
        await mail.send(email(n))
    assert len(smtp.received) == 3
    assert smtp.connections == 1
    assert smtp.noops == 2  # before the second and the third message


async def test_a_connection_unused_for_idle_seconds_is_not_used_again(smtp: SmtpServer) -> None:
    mail = channel(smtp, idle_seconds=0)
    for n in range(3):
        await mail.send(email(n))
    assert len(smtp.received) == 3
    assert smtp.connections == 3
    assert smtp.quits == 2


async def test_after_a_quiet_spell_every_connection_left_waiting_says_goodbye(
    smtp: SmtpServer,
) -> None:
    mail = channel(smtp, idle_seconds=0.3)
    await asyncio.gather(*(mail.send(email(n)) for n in range(3)))
    await asyncio.sleep(0.4)
    await mail.send(email(3))
    assert smtp.quits == 3
    assert smtp.connections == 4
    assert mail.open_connections == 1


async def test_after_a_refused_message_the_next_go_out_on_a_fresh_connection(
    smtp: SmtpServer,
) -> None:
    smtp.behaviour.refuse_first = 1
    mail = channel(smtp)
    with pytest.raises(DeliveryError) as refused:
        await mail.send(email(0))
    assert refused.value.transient
    await mail.send(email(1))
    await mail.send(email(2))
    assert received(smtp) == [f"Lid {n} <lid-{n}@samen.example>" for n in (1, 2)]
    assert smtp.connections == 2  # the refused one's, then one for both that followed


async def test_a_server_that_closes_a_connection_with_421_gets_the_message_on_a_new_one(
    smtp: SmtpServer,
) -> None:
    smtp.behaviour.messages_per_connection = 2
    mail = channel(smtp)
    for n in range(5):
        await mail.send(email(n))
    assert received(smtp) == [f"Lid {n} <lid-{n}@samen.example>" for n in range(5)]
    assert smtp.connections == 3


async def test_421_on_a_new_connection_is_a_transient_failure(smtp: SmtpServer) -> None:
    smtp.behaviour.messages_per_connection = 0
    mail = channel(smtp)
    with pytest.raises(DeliveryError) as refused:
        await mail.send(email(0))
    assert refused.value.transient
    assert "421" in str(refused.value)
    assert smtp.received == []


async def test_notify_keeps_as_many_connections_as_its_worker_sends_at_once(
    smtp: SmtpServer,
) -> None:
    own = NotifySettings(smtp_url=smtp.url, mail_from=SENDER)
    delivery = DeliveryConfig(concurrency=3, rounds_in_flight=2)
    mail = email_channel(Settings(), own, SystemClock(), delivery)
    assert isinstance(mail, SmtpChannel)
    await asyncio.gather(*(mail.send(email(n)) for n in range(7)))
    assert len(smtp.received) == 7
    assert mail.open_connections == 6
    await mail.close()
