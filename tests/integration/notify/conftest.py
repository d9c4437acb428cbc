"""Fixtures of the notify integration tests (defined in harness.py)."""

from tests.integration.notify.harness import (  # noqa: F401
    clock,
    notify,
    notify_factory,
    notify_own_settings,
    notify_settings,
    registry,
    smtp,
    webhook,
)
