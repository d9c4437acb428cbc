"""The one polling loop: at once while more is waiting, woken early, never stopped by a
failing pass, stopped by a cancel."""

import asyncio

import pytest

from shared.polling import AT_ONCE, Poller

DEADLINE = 5.0  # seconds a test waits for a pass that should come at once


async def test_passes_follow_each_other_at_once_while_more_is_waiting() -> None:
    passes = 0
    three = asyncio.Event()

    async def job() -> float | None:
        nonlocal passes
        passes += 1
        if passes == 3:
            three.set()
            return None  # then the period: an hour
        return AT_ONCE

    task = asyncio.create_task(Poller("test", every=3600).run(job))
    await asyncio.wait_for(three.wait(), DEADLINE)
    await asyncio.sleep(0)
    assert passes == 3
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_wake_brings_the_next_pass_before_the_period_is_over() -> None:
    poller = Poller("test", every=3600)
    passes: list[int] = []
    first, second = asyncio.Event(), asyncio.Event()

    async def job() -> float | None:
        passes.append(len(passes))
        (first if len(passes) == 1 else second).set()
        return None

    task = asyncio.create_task(poller.run(job))
    await asyncio.wait_for(first.wait(), DEADLINE)
    poller.wake()
    await asyncio.wait_for(second.wait(), DEADLINE)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_failing_pass_does_not_end_the_loop() -> None:
    tries = 0
    recovered = asyncio.Event()

    async def job() -> float | None:
        nonlocal tries
        tries += 1
        if tries == 1:
            raise RuntimeError("database away a moment")
        recovered.set()
        return None

    task = asyncio.create_task(Poller("flaky job", every=3600, after_failure=0.01).run(job))
    await asyncio.wait_for(recovered.wait(), DEADLINE)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert tries == 2


async def test_the_seconds_a_pass_answers_are_waited_not_the_period() -> None:
    done = asyncio.Event()
    passes = 0

    async def job() -> float | None:
        nonlocal passes
        passes += 1
        if passes == 2:
            done.set()
        return 0.01  # a mark due in ten milliseconds, though the period is an hour

    task = asyncio.create_task(Poller("test", every=3600).run(job))
    await asyncio.wait_for(done.wait(), DEADLINE)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
