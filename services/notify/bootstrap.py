"""Composition root of the notify service: wires adapters, handlers and RPC verbs."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from services.notify.adapters.channels import (
    AppriseSender,
    EmlChannel,
    SmtpChannel,
    SmtpConfig,
    mail_domain,
)
from services.notify.adapters.orm import messaging, metadata
from services.notify.adapters.registry import RegistryOverRpc
from services.notify.adapters.rendering import Renderer
from services.notify.adapters.uow import SqlNotifyUnitOfWork
from services.notify.config import NotifySettings, get_notify_settings
from services.notify.domain.links import LinkSigner
from services.notify.entrypoints import rpc
from services.notify.entrypoints.events import handlers
from services.notify.service_layer.api import NotifyApi
from services.notify.service_layer.delivery import DeliveryConfig, DeliveryWorker
from services.notify.service_layer.passing_on import PassingOn
from services.notify.service_layer.ports import AppriseChannel, EmailChannel
from services.notify.service_layer.recording import Recorder
from services.notify.service_layer.uow import NotifyUnitOfWork
from shared.clock import Clock
from shared.credentials import secret_keys
from shared.outbox import OutboxRow
from shared.service import ServiceRuntime
from shared.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class Notify:
    """The parts of a built notify service that tests and tools reach for."""

    runtime: ServiceRuntime
    worker: DeliveryWorker
    api: NotifyApi
    email: EmailChannel
    signer: LinkSigner


def email_channel(
    settings: Settings, mail: NotifySettings, clock: Clock, delivery: DeliveryConfig
) -> EmailChannel:
    if mail.smtp_url:
        return SmtpChannel(
            SmtpConfig.from_url(mail.smtp_url),
            sender=mail.mail_from,
            clock=clock,
            # as many as the worker sends at once: none closed only to be opened again
            max_idle=delivery.concurrency * delivery.rounds_in_flight,
        )
    return EmlChannel(settings.data_dir / "mail", sender=mail.mail_from, clock=clock)


def assemble(
    settings: Settings | None = None,
    clock: Clock | None = None,
    *,
    delivery: DeliveryConfig | None = None,
    apprise: AppriseChannel | None = None,
    own: NotifySettings | None = None,
) -> Notify:
    own = own or get_notify_settings()
    runtime = ServiceRuntime(
        "notify",
        metadata=metadata,
        tables=messaging,
        migrations=MIGRATIONS,
        settings=settings,
        clock=clock,
        needs_secret_key=True,  # it signs the accept/decline links
        credential_urls={"SAMEN_SMTP_URL": own.smtp_url},
    )
    settings, clock = runtime.settings, runtime.clock
    registry = RegistryOverRpc(runtime.rpc)
    signer = LinkSigner(secret_keys(settings).verifying(), settings.public_url)
    delivery = delivery or DeliveryConfig()
    email = email_channel(settings, own, clock, delivery)
    notify_uow: Callable[[], NotifyUnitOfWork] = runtime.uow_factory(SqlNotifyUnitOfWork)
    worker = DeliveryWorker(
        uow=notify_uow,
        clock=clock,
        registry=registry,
        renderer=Renderer(),
        email=email,
        apprise=apprise or AppriseSender(allowed=own.apprise_schemes()),
        signer=signer,
        public_url=settings.public_url,
        mail_domain=mail_domain(own.mail_from),
        config=delivery,
    )

    def woken_after_commit(rows: list[OutboxRow]) -> None:
        runtime.relay.committed(rows)
        worker.wake()  # what a handler recorded is due now: no need to wait for the poll

    def consumer_uow() -> SqlNotifyUnitOfWork:
        return SqlNotifyUnitOfWork(
            runtime.sessions,
            runtime.tables,
            source=runtime.name,
            clock=clock,
            after_commit=woken_after_commit,
        )

    runtime.consume(handlers(Recorder()), uow_factory=consumer_uow)
    api = NotifyApi(
        uow=notify_uow,
        clock=clock,
        signer=signer,
        registry=registry,
        wake=worker.wake,
        apprise_schemes=own.apprise_schemes(),
    )
    rpc.register(runtime, api, PassingOn(uow=notify_uow, clock=clock, registry=registry))
    runtime.background(worker.run)
    runtime.on_stop(worker.finish_sending)
    runtime.on_stop(email.close)  # after the last sends
    return Notify(runtime=runtime, worker=worker, api=api, email=email, signer=signer)


def build(
    settings: Settings | None = None, clock: Clock | None = None, own: NotifySettings | None = None
) -> ServiceRuntime:
    return assemble(settings, clock, own=own).runtime
