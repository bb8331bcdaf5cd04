"""The fixture world, built once per test module inside a transaction that is rolled back
when the module ends; each test runs in a savepoint inside it (pytest-django's `db`)."""

from collections.abc import Iterator

import pytest
from django.db import transaction

from tests.security.world import World, build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
