"""RPC verbs on samen.rpc.notify.*: translate a request into a use case."""

from collections.abc import Awaitable, Callable
from typing import Any

from services.notify.service_layer.api import NotifyApi
from services.notify.service_layer.passing_on import PassingOn
from shared.contracts import notify as contract
from shared.contracts.notify import (
    AccountNotice,
    AccountNoticeQueued,
    ChannelCheck,
    ChannelCheckQueued,
    CooperativeChannels,
    CooperativeQuery,
    DeliveryLog,
    DeliveryLogQuery,
    Erased,
    ErasureConfirmation,
    ErasureConfirmationQueued,
    InboxPage,
    InboxQuery,
    MarkedRead,
    MarkRead,
    MemberExport,
    MemberQuery,
    PassOnTask,
    Preferences,
    PreferencesUpdate,
    ProposalLink,
    TaskList,
    TaskQuery,
    TaskRef,
    TokenRequest,
)
from shared.service import ServiceRuntime


def register(runtime: ServiceRuntime, api: NotifyApi, tasks: PassingOn) -> None:
    async def inbox_list(request: InboxQuery) -> InboxPage:
        """A member's in-app messages, newest first, and how many are unread."""
        return await api.inbox_list(request)

    async def inbox_mark_read(request: MarkRead) -> MarkedRead:
        """Mark some (or all) of a member's messages read."""
        return await api.inbox_mark_read(request)

    async def preferences_get(request: MemberQuery) -> Preferences:
        """A member's channels, language, quiet hours and digest choice (defaults if unset)."""
        return await api.preferences_get(PreferencesUpdate(member_id=request.member_id))

    async def preferences_set(request: PreferencesUpdate) -> Preferences:
        """Change the given fields of a member's preferences."""
        return await api.preferences_set(request)

    async def cooperative_channels_get(request: CooperativeQuery) -> CooperativeChannels:
        """A cooperative's Apprise URLs for escalations and its coordinators' digest time."""
        return await api.cooperative_channels_get(request.cooperative_id)

    async def cooperative_channels_set(request: CooperativeChannels) -> CooperativeChannels:
        """Set a cooperative's channels and digest time: the whole state, as `.get` gave it."""
        return await api.cooperative_channels_set(request)

    async def delivery_log(request: DeliveryLogQuery) -> DeliveryLog:
        """Delivery attempts, newest first (coordinators: filter by their area codes)."""
        return await api.delivery_log(request)

    async def token_verify(request: TokenRequest) -> ProposalLink:
        """What an accept/decline link stands for, without using it."""
        return await api.token_verify(request.token)

    async def token_redeem(request: TokenRequest) -> ProposalLink:
        """Use an accept/decline link: the first call wins, later calls are a conflict."""
        return await api.token_redeem(request.token)

    async def erasure_confirm(request: ErasureConfirmation) -> ErasureConfirmationQueued:
        """Queue the erasure confirmation; call before the registry erases the member."""
        return await api.erasure_confirm(request.member_id)

    async def member_export(request: MemberQuery) -> MemberExport:
        """Everything notify holds about a member."""
        return await api.member_export(request.member_id)

    async def member_erase(request: MemberQuery) -> Erased:
        """Delete what notify holds about a member (member.erased does the same)."""
        return await api.member_erase(request.member_id)

    async def account_notice(request: AccountNotice) -> AccountNoticeQueued:
        """Tell a member something about their account (someone tried to register with their
        address; the link to set a password); the address comes from the registry."""
        return await api.account_notice(
            request.member_id,
            request.kind,
            link=request.link,
            expires_at=request.expires_at,
            email=request.email,
        )

    async def test_message_send(request: ChannelCheck) -> ChannelCheckQueued:
        """Send the member a test message over their own channels (the real delivery)."""
        return await api.channel_check(request.member_id)

    async def tasks_list(request: TaskQuery) -> TaskList:
        """A coordinator's messages to pass on to members without e-mail, oldest first."""
        return await tasks.tasks(request)

    async def task_get(request: TaskRef) -> PassOnTask:
        """One task, when it is for this coordinator."""
        return await tasks.get(request)

    async def task_done(request: TaskRef) -> PassOnTask:
        """Tick a task done (who and when); again changes nothing."""
        return await tasks.done(request)

    verbs: dict[str, Callable[..., Awaitable[Any]]] = {
        contract.INBOX_LIST: inbox_list,
        contract.INBOX_MARK_READ: inbox_mark_read,
        contract.PREFERENCES_GET: preferences_get,
        contract.PREFERENCES_SET: preferences_set,
        contract.COOPERATIVE_CHANNELS_GET: cooperative_channels_get,
        contract.COOPERATIVE_CHANNELS_SET: cooperative_channels_set,
        contract.DELIVERY_LOG: delivery_log,
        contract.TOKEN_VERIFY: token_verify,
        contract.TOKEN_REDEEM: token_redeem,
        contract.ERASURE_CONFIRM: erasure_confirm,
        contract.MEMBER_EXPORT: member_export,
        contract.MEMBER_ERASE: member_erase,
        contract.ACCOUNT_NOTICE: account_notice,
        contract.TEST_MESSAGE: test_message_send,
        contract.TASKS_LIST: tasks_list,
        contract.TASK_GET: task_get,
        contract.TASK_DONE: task_done,
    }
    for verb, handler in verbs.items():
        runtime.answer(verb, handler)
