"""Calls that wait at the same moment are handled in one go; a lone call at once, alone."""

import asyncio

import pytest

from shared.ids import new_id
from shared.logging import correlation, current_correlation_id
from shared.together import Call, Together, Unsettled


class Recorder:
    """A handle that answers each item doubled, remembering each go (and the correlation id
    each item's part ran under); it can be held open to let callers gather."""

    def __init__(self) -> None:
        self.goes: list[list[int]] = []
        self.correlations: list[str | None] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, calls: list[Call[int, int]]) -> None:
        self.goes.append([c.item for c in calls])
        await self.gate.wait()
        for call in calls:
            with call.in_its_correlation():
                self.correlations.append(current_correlation_id())
            call.succeed(call.item * 2)


async def test_a_lone_call_is_handled_at_once_alone() -> None:
    handle = Recorder()
    together: Together[int, int] = Together(handle)
    assert await together(1) == 2
    assert await together(2) == 4
    assert handle.goes == [[1], [2]]


async def test_calls_arriving_during_a_go_are_handled_together_in_the_next() -> None:
    handle = Recorder()
    sizes: list[int] = []
    together: Together[int, int] = Together(handle, on_go=sizes.append)
    handle.gate.clear()
    first = asyncio.create_task(together(0))
    await asyncio.sleep(0)  # the first go is under way, held at the gate
    rest = [asyncio.create_task(together(n)) for n in range(1, 6)]
    await asyncio.sleep(0)
    assert together.waiting == 5
    handle.gate.set()
    assert await asyncio.gather(first, *rest) == [0, 2, 4, 6, 8, 10]
    assert handle.goes == [[0], [1, 2, 3, 4, 5]]
    assert sizes == [1, 5]


async def test_a_go_takes_at_most_so_many_calls_in_arrival_order() -> None:
    handle = Recorder()
    together: Together[int, int] = Together(handle, most=2)
    handle.gate.clear()
    tasks = [asyncio.create_task(together(n)) for n in range(5)]
    await asyncio.sleep(0)
    handle.gate.set()
    assert await asyncio.gather(*tasks) == [0, 2, 4, 6, 8]
    assert handle.goes == [[0], [1, 2], [3, 4]]


async def test_each_part_runs_in_its_callers_correlation() -> None:
    handle = Recorder()
    together: Together[int, int] = Together(handle)
    handle.gate.clear()

    callers = [new_id() for _ in range(3)]

    async def call(n: int) -> int:
        with correlation(callers[n]):
            return await together(n)

    tasks = [asyncio.create_task(call(n)) for n in range(3)]
    await asyncio.sleep(0)
    handle.gate.set()
    await asyncio.gather(*tasks)
    assert handle.correlations == callers


async def test_a_failing_go_fails_its_calls_and_an_unanswered_call_fails_too() -> None:
    async def broken(calls: list[Call[int, int]]) -> None:
        await asyncio.sleep(0)  # a round trip: the others gather meanwhile
        calls[0].succeed(calls[0].item)
        raise RuntimeError("database gone")

    together: Together[int, int] = Together(broken)
    tasks = [asyncio.create_task(together(n)) for n in range(3)]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[0] == 0  # went alone
    assert results[1] == 1  # answered before its go failed: keeps its answer
    assert isinstance(results[2], RuntimeError)

    async def forgetful(calls: list[Call[int, int]]) -> None:
        pass

    with pytest.raises(Unsettled):
        await Together(forgetful)(1)


async def test_a_cancelled_caller_running_a_go_leaves_the_others_to_the_next() -> None:
    goes: list[list[int]] = []
    second_go_may_end = asyncio.Event()

    async def handle(calls: list[Call[int, int]]) -> None:
        goes.append([c.item for c in calls])
        await asyncio.sleep(0)  # a round trip: the others gather meanwhile
        if len(goes) == 2:
            await second_go_may_end.wait()
        for call in calls:
            call.succeed(call.item * 2)

    together: Together[int, int] = Together(handle)
    tasks = [asyncio.create_task(together(n)) for n in range(3)]
    await asyncio.sleep(0.01)  # 0 went alone; 1 now runs the go of 1 and 2, held
    assert goes == [[0], [1, 2]]
    tasks[1].cancel()
    with pytest.raises(asyncio.CancelledError):
        await tasks[1]
    assert await tasks[2] == 4  # handled in a go of its own
    assert await tasks[0] == 0
    assert goes == [[0], [1, 2], [2]]


async def test_with_two_goes_at_once_a_stalled_go_does_not_hold_up_the_next_call() -> None:
    stalled = asyncio.Event()

    async def handle(calls: list[Call[int, int]]) -> None:
        if calls[0].item == 0:
            await stalled.wait()  # a commit that hangs
        for call in calls:
            call.succeed(call.item * 2)

    together: Together[int, int] = Together(handle, goes_at_once=2)
    first = asyncio.create_task(together(0))
    await asyncio.sleep(0)
    assert await asyncio.wait_for(together(1), timeout=1) == 2
    assert not first.done()
    stalled.set()
    assert await first == 0


async def test_with_two_goes_at_once_the_calls_of_an_interrupted_go_are_handled_again() -> None:
    goes: list[list[int]] = []
    may_end = asyncio.Event()

    async def handle(calls: list[Call[int, int]]) -> None:
        goes.append([c.item for c in calls])
        await asyncio.sleep(0)
        if len(goes) <= 3:
            await may_end.wait()
        for call in calls:
            call.succeed(call.item * 2)

    together: Together[int, int] = Together(handle, goes_at_once=2)
    tasks = [asyncio.create_task(together(n)) for n in range(4)]
    await asyncio.sleep(0.01)  # 0 and 1 go alone, both held; then 2 and 3 wait for a slot
    tasks[1].cancel()  # its slot passes to 2, whose go takes 2 and 3
    with pytest.raises(asyncio.CancelledError):
        await tasks[1]
    await asyncio.sleep(0.01)
    assert goes == [[0], [1], [2, 3]]
    tasks[2].cancel()  # interrupts the go of 2 and 3: 3 is put back and handled again
    with pytest.raises(asyncio.CancelledError):
        await tasks[2]
    assert await asyncio.wait_for(tasks[3], timeout=1) == 6
    may_end.set()
    assert await tasks[0] == 0
    assert goes == [[0], [1], [2, 3], [3]]


async def test_a_go_beside_the_one_under_way_starts_only_once_that_one_stalls() -> None:
    goes: list[list[int]] = []
    stalled = asyncio.Event()

    async def handle(calls: list[Call[int, int]]) -> None:
        goes.append([c.item for c in calls])
        if calls[0].item == 0:
            await asyncio.sleep(0.01)  # an ordinary go: the next calls gather meanwhile
        if calls[0].item == 10:
            await stalled.wait()  # a commit that hangs
        for call in calls:
            call.succeed(call.item * 2)

    together: Together[int, int] = Together(handle, goes_at_once=2, stalled_after=0.05)
    tasks = [asyncio.create_task(together(n)) for n in range(4)]
    assert await asyncio.gather(*tasks) == [0, 2, 4, 6]
    assert goes == [[0], [1, 2, 3]]  # no go beside a go that was not slow

    hanging = asyncio.create_task(together(10))
    await asyncio.sleep(0)
    assert await asyncio.wait_for(together(11), timeout=1) == 22  # went beside it
    assert goes[-2:] == [[10], [11]]
    assert not hanging.done()
    stalled.set()
    assert await hanging == 20


async def test_with_one_go_at_once_a_stall_is_waited_out() -> None:
    stalled = asyncio.Event()

    async def handle(calls: list[Call[int, int]]) -> None:
        if calls[0].item == 0:
            await stalled.wait()
        for call in calls:
            call.succeed(call.item * 2)

    together: Together[int, int] = Together(handle, goes_at_once=1, stalled_after=0.01)
    first = asyncio.create_task(together(0))
    await asyncio.sleep(0)
    second = asyncio.create_task(together(1))
    await asyncio.sleep(0.05)
    assert not second.done()  # no go beside: there is no room for one
    stalled.set()
    assert await asyncio.wait_for(asyncio.gather(first, second), timeout=1) == [0, 2]
