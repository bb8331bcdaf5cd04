"""Endpoints the ASGI application answers itself, outside Django's URLconf
(matrix.ASGI_ENDPOINTS): the relay that lets page processes reach open sockets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.testing import ApplicationCommunicator

from kinwell.core.layers import RELAY_PATH, relay_token
from tests.security import discovery

pytestmark = pytest.mark.anyio

BODY = json.dumps({"group": "user.1", "message": {"type": "notification.new", "id": 1}})


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def _status(method: str, client: str, token: str | None) -> int:
    headers: list[tuple[bytes, bytes]] = [(b"content-type", b"application/json")]
    if token is not None:
        headers.append((b"x-kinwell-relay", token.encode()))
    scope: dict[str, Any] = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": RELAY_PATH,
        "raw_path": RELAY_PATH.encode(),
        "query_string": b"",
        "headers": headers,
        "client": (client, 50000),
        "server": ("127.0.0.1", 8001),
    }
    communicator = ApplicationCommunicator(discovery.asgi_application(), scope)
    await communicator.send_input({"type": "http.request", "body": BODY.encode()})
    start = await communicator.receive_output(timeout=5)
    await communicator.receive_output(timeout=5)
    await communicator.wait(timeout=5)
    return int(start["status"])


@pytest.mark.parametrize(
    ("method", "client", "token", "expected"),
    [
        ("POST", "203.0.113.9", None, 403),  # from outside, no key
        ("POST", "203.0.113.9", "valid", 403),  # from outside, even with the key
        ("POST", "127.0.0.1", None, 403),  # loopback without the key (another local user)
        ("POST", "127.0.0.1", "wrong", 403),
        ("GET", "127.0.0.1", "valid", 403),
        ("POST", "127.0.0.1", "valid", 204),  # positive control: the page process itself
    ],
    ids=["outside", "outside-with-key", "loopback-no-key", "wrong-key", "get", "page-process"],
)
async def test_relay_endpoint(method, client, token, expected):
    sent = relay_token() if token == "valid" else token
    assert await _status(method, client, sent) == expected
