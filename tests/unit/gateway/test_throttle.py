"""When a failed log-in makes the next try of its pair wait (services.gateway.throttle)."""

from datetime import UTC, datetime, timedelta

from services.gateway.throttle import Failures, LoginKeys, LoginPolicy

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POLICY = LoginPolicy(attempts=5, backoff=timedelta(seconds=2), cap=timedelta(minutes=15))
NONE = Failures()


def wait(pair: Failures, address: Failures = NONE, client: Failures = NONE) -> timedelta | None:
    return POLICY.wait(pair=pair, address=address, client=client, now=NOW)


def test_a_pair_gets_its_free_failures_then_waits_longer_each_time_up_to_the_cap() -> None:
    assert wait(Failures(4, NOW)) is None
    assert wait(Failures(5, NOW)) == timedelta(seconds=2)
    assert wait(Failures(7, NOW)) == timedelta(seconds=8)
    assert wait(Failures(40, NOW)) == timedelta(minutes=15)
    assert wait(Failures(5, NOW - timedelta(seconds=2))) is None  # waited long enough


def test_a_pair_that_never_failed_is_heard_however_hot_its_address_and_client() -> None:
    hot = Failures(1000, NOW)
    assert wait(NONE, address=hot, client=hot) is None


def test_a_hot_address_or_client_leaves_a_pair_one_free_failure() -> None:
    hot = Failures(POLICY.hot, NOW)
    assert wait(Failures(1, NOW), address=hot) == timedelta(seconds=2)
    assert wait(Failures(1, NOW), client=hot) == timedelta(seconds=2)
    assert wait(Failures(1, NOW), address=Failures(POLICY.hot - 1, NOW)) is None


def test_failures_are_forgotten_after_the_memory() -> None:
    old = Failures(50, NOW - POLICY.memory)
    assert wait(old) is None
    assert POLICY.after_failure(old, NOW) == Failures(1, NOW)


def test_keys_name_neither_the_address_nor_the_client() -> None:
    keys = LoginKeys.of("secret", email="ans@example.nl", client="192.0.2.1")
    assert len(set(keys.all())) == 3
    assert all(len(key) == 64 and int(key, 16) >= 0 for key in keys.all())  # sha256 hex only
    assert keys != LoginKeys.of("other secret", email="ans@example.nl", client="192.0.2.1")
