"""Real PostgreSQL and Redis. Skipped on a machine without them, unless
KINWELL_REQUIRE_SERVICES is set (CI), where an unreachable service fails the test."""

import os
import socket
import uuid

import pytest
from asgiref.sync import async_to_sync
from django.db import connection

REQUIRED = bool(os.environ.get("KINWELL_REQUIRE_SERVICES"))
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def need(host: str, port: int, name: str) -> None:
    if not _reachable(host, port):
        if REQUIRED:
            pytest.fail(f"{name} on {host}:{port} is required (KINWELL_REQUIRE_SERVICES) but down")
        pytest.skip(f"{name} not reachable on {host}:{port}")


def test_redis_pubsub_channel_layer_delivers_between_groups():
    need("127.0.0.1", 6379, "Redis")
    from channels_redis.pubsub import RedisPubSubChannelLayer

    layer = RedisPubSubChannelLayer(hosts=[REDIS_URL])
    group = f"test.{uuid.uuid4().hex}"

    async def roundtrip():
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        await layer.group_send(group, {"type": "hello", "text": "seen"})
        message = await layer.receive(channel)
        await layer.group_discard(group, channel)
        await layer.flush()
        return message

    assert async_to_sync(roundtrip)()["text"] == "seen"


@pytest.mark.django_db
def test_suite_runs_on_the_configured_database():
    if os.environ.get("DATABASE_URL"):
        need("127.0.0.1", 5432, "PostgreSQL")
        assert connection.vendor == "postgresql"
    else:
        assert connection.vendor == "sqlite"
