from importlib import import_module
from unittest import mock

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.test import Client
from redis.exceptions import ConnectionError as RedisConnectionError

from kinwell.core.errors import is_unavailable, unavailable_response

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiet_client(member) -> Client:
    # Errors come back as the response a visitor would see, not raised into the test.
    client = Client(raise_request_exception=False)
    client.force_login(member)
    return client


def _home_raising(exc: BaseException):
    return mock.patch("kinwell.core.homecache.cached_home", side_effect=exc)


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
        OperationalError("database or disk is full"),
        RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
    ],
)
def test_database_or_redis_down_in_a_view_gives_a_calm_503(quiet_client, exc):
    with _home_raising(exc):
        response = quiet_client.get("/home/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "We&#x27;ll be right back" in html or "We'll be right back" in html
    assert "was not saved" in html
    assert "Traceback" not in html and str(exc) not in html


def test_database_down_while_loading_the_session_gives_503_too(quiet_client):
    # Sessions are read in a middleware, before any view: handler500 still sees it.
    store = import_module(settings.SESSION_ENGINE).SessionStore
    with mock.patch.object(store, "load", side_effect=OperationalError("connection refused")):
        response = quiet_client.get("/home/")
    assert response.status_code == 503


def test_other_errors_keep_the_plain_500_page(quiet_client):
    with _home_raising(ValueError("a bug")):
        response = quiet_client.get("/home/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "a bug" not in html


def test_an_error_raised_from_a_database_error_counts_as_unavailable():
    try:
        try:
            raise OperationalError("terminating connection due to administrator command")
        except OperationalError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert is_unavailable(outer)
    assert not is_unavailable(RuntimeError("plain"))
    assert not is_unavailable(None)


def test_the_503_page_needs_no_database_and_lists_help(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = unavailable_response()
    html = response.content.decode()
    assert "https://findahelpline.com" in html
    assert 'href="/help/"' not in html  # that page needs the session; this one must not


def test_redis_connections_retry_once_after_a_restart(tmp_path):
    # After Redis restarts every pooled connection is dead; one retry on a fresh connection
    # keeps the first chat broadcast (and the first cache call) from failing.
    import os
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "from redis.exceptions import ConnectionError as E; "
        "host = s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]; "
        "print(host['address'], E in host['retry_on_error'], "
        "E in s.CACHES['default']['OPTIONS']['retry_on_error'])"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KINWELL_ASGI"}}
    env.update(
        REDIS_URL="redis://127.0.0.1:6379/3",
        KINWELL_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["redis://127.0.0.1:6379/3", "True", "True"]
