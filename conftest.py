"""Project-wide fixtures: factories' people, signed-in clients, and a guard that makes
tests needing PostgreSQL or Redis fail (not skip) when CI requires the services."""

import os

import pytest
from django.test import Client

from kinwell.accounts.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from django.core.cache import cache

    cache.clear()  # rate-limit counters and cached navigation must not leak between tests


@pytest.fixture
def member(db):
    return UserFactory()


@pytest.fixture
def other_member(db):
    return UserFactory()


@pytest.fixture
def member_client(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def moderator(db):
    return UserFactory(roles=["moderator"], display_name="Mod Moss")


@pytest.fixture
def screen_as(monkeypatch):
    """Make the screening engine return a given level, to test the wiring around it (the
    engine itself is tested against the evaluation set in safety/tests/test_screening.py)."""

    def set_level(level: str) -> None:
        from kinwell.safety.screening import ScreenResult

        result = ScreenResult(level=level, reasons=(f"test: {level}",), score=1.0)
        monkeypatch.setattr("kinwell.safety.screening.screen_text", lambda text: result)

    return set_level


def require_services() -> bool:
    return bool(os.environ.get("KINWELL_REQUIRE_SERVICES"))
