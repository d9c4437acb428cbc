"""Notify's verbs (samen.rpc.notify.*): one table from verb to use case."""

from services.notify.service_layer.api import NotifyApi
from services.notify.service_layer.passing_on import PassingOn
from shared.contracts import notify as c
from shared.service import ServiceRuntime


def register(runtime: ServiceRuntime, api: NotifyApi, tasks: PassingOn) -> None:
    runtime.answer(
        {
            c.INBOX_LIST: api.inbox_list,
            c.INBOX_MARK_READ: api.inbox_mark_read,
            c.PREFERENCES_GET: lambda q: api.preferences_get(
                c.PreferencesUpdate(member_id=q.member_id)
            ),
            c.PREFERENCES_SET: api.preferences_set,
            c.COOPERATIVE_CHANNELS_GET: lambda q: api.cooperative_channels_get(q.cooperative_id),
            c.COOPERATIVE_CHANNELS_SET: api.cooperative_channels_set,
            c.DELIVERY_LOG: api.delivery_log,
            c.TOKEN_VERIFY: lambda q: api.token_verify(q.token),
            c.TOKEN_REDEEM: lambda q: api.token_redeem(q.token),
            c.ERASURE_CONFIRM: lambda q: api.erasure_confirm(q.member_id),
            c.MEMBER_EXPORT: lambda q: api.member_export(q.member_id),
            c.MEMBER_ERASE: lambda q: api.member_erase(q.member_id),
            c.ACCOUNT_NOTICE: lambda q: api.account_notice(
                q.member_id, q.kind, link=q.link, expires_at=q.expires_at, email=q.email
            ),
            c.TEST_MESSAGE: lambda q: api.channel_check(q.member_id),
            c.TASKS_LIST: tasks.tasks,
            c.TASK_GET: tasks.get,
            c.TASK_DONE: tasks.done,
        }
    )
