import pytest

from tests.unit.matching.world import World


@pytest.fixture
def world() -> World:
    return World()
