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


def require_services() -> bool:
    return bool(os.environ.get("KINWELL_REQUIRE_SERVICES"))
