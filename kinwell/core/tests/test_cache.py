"""While Redis is unreachable the cache misses and skips writes, so pages still work."""

import pytest
from django.core.cache import caches
from django.test import override_settings

from kinwell.core.ratelimit import count_many, hit

# Port 1 on loopback: nothing listens, so every connection is refused at once.
DEAD = {
    "default": {
        "BACKEND": "kinwell.core.cache.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@override_settings(CACHES=DEAD)
def test_reads_miss_and_writes_are_skipped():
    cache = caches["default"]
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    cache.set("k", 1)
    cache.set_many({"a": 1})
    assert cache.add("k", 1) is False
    assert cache.delete("k") is False
    cache.delete_many(["a"])
    with pytest.raises(ValueError):
        cache.incr("k")


@override_settings(CACHES=DEAD)
def test_rate_limits_fail_open_rather_than_stop_a_member():
    assert count_many([("someone", 60, 5)])[0][0] == 0
    assert [hit(key="someone", limit=1, window_seconds=60) for _ in range(3)] == [0, 0, 0]


@pytest.mark.django_db
@override_settings(CACHES=DEAD, SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
def test_a_signed_in_member_stays_signed_in_and_sees_their_home_page(client, django_user_model):
    from kinwell.accounts.tests.factories import UserFactory

    member = UserFactory()
    client.force_login(member)
    page = client.get("/home/")
    assert page.status_code == 200
    assert member.display_name in page.content.decode()
