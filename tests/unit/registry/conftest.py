import pytest

from tests.unit.registry.world import World


@pytest.fixture
async def world() -> World:
    world = World()
    await world.seed()
    return world
