"""Integration tests: real nats-server, real databases (fixtures in tests/conftest.py)."""

import asyncio
import inspect
from collections.abc import AsyncIterator

import pytest


@pytest.fixture(autouse=True)
async def no_task_outlives_its_test(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Cancel what a test left running once its services stopped, repeating the cancel: on
    Python 3.11 a cancel can be lost inside asyncio.wait_for in a library, and one such task
    would otherwise hang the event loop's shutdown."""
    yield
    if not inspect.iscoroutinefunction(request.function):
        return
    current = asyncio.current_task()
    for _ in range(50):
        others = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        if not others:
            return
        for task in others:
            task.cancel()
        await asyncio.wait(others, timeout=0.1)
    stubborn = [t.get_coro() for t in asyncio.all_tasks() if t is not current and not t.done()]
    pytest.fail(f"tasks that would not stop: {stubborn}")
