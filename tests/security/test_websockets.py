"""Every WebSocket route x role against the real ASGI application (config.asgi), with its
origin check, session cookie and auth middleware: refused sockets are closed before
they are accepted, and accepted ones carry only what the role may see."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from tests.security import discovery
from tests.security.matrix import ALLOW, WS_MATRIX
from tests.security.world import (
    ANON,
    CIRCLE,
    FAC_OTHER,
    FACILITATOR,
    MARKERS,
    MODERATOR,
    OWNER,
    PEER,
    STRANGER,
    World,
    build_world,
)

# Consumers reach the database from other threads: the world must be committed.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.anyio]

# test_matrix_complete.py proves these are exactly the routes config.asgi serves.
ROUTES = list(WS_MATRIX)
CLOSED = (4401, 4403, 4404, 1000)


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _path(world: World, pattern: str) -> str:
    entry = WS_MATRIX[pattern]
    kwargs = entry["kwargs"](world)
    path = pattern
    for name, value in kwargs.items():
        path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    assert "<" not in path, f"{pattern}: the matrix does not build {path}"
    return "/" + path


async def _connect(world: World, path: str, role: str) -> tuple[Any, bool, Any]:
    headers = [(b"origin", b"http://127.0.0.1")]
    if role != ANON:
        cookie = f"{settings.SESSION_COOKIE_NAME}={world.sessions[role]}"
        headers.append((b"cookie", cookie.encode()))
    socket = WebsocketCommunicator(discovery.asgi_application(), path, headers=headers)
    connected, code = await socket.connect(timeout=5)
    return socket, connected, code


async def _nothing_private(socket: Any) -> list[str]:
    """Whatever reached the socket in a short while; none of it may be the owner's."""
    got = []
    while not await socket.receive_nothing(timeout=0.2):
        got.append(await socket.receive_from())
    return [text for text in got if any(m in text for m in MARKERS)]


@pytest.mark.parametrize("pattern", ROUTES)
async def test_websocket_route(pattern):
    world = await sync_to_async(build_world)()
    path = _path(world, pattern)
    problems = []
    sockets = {}
    for role, outcome in WS_MATRIX[pattern]["expect"].items():
        socket, connected, code = await _connect(world, path, role)
        if outcome == ALLOW and not connected:
            problems.append(f"{path} as {role}: refused ({code}), should be accepted")
        if outcome != ALLOW:
            if connected:
                problems.append(f"{path} as {role}: accepted, should be refused")
            elif code not in CLOSED:
                problems.append(f"{path} as {role}: refused with an unexpected code {code}")
            if role == ANON and code != 4401 and not connected:
                problems.append(f"{path} as anonymous: closed with {code}, not 4401")
        if connected:
            sockets[role] = socket
    try:
        problems += await _deliveries(world, pattern, sockets)
    finally:
        for socket in sockets.values():
            await socket.disconnect()
    assert not problems, "\n".join(problems)


async def _deliveries(world: World, pattern: str, sockets: dict[str, Any]) -> list[str]:
    """What each accepted socket receives when something of the owner's happens."""
    problems = []
    if pattern == "ws/notifications/":
        from kinwell.core.services import notification_send

        await sync_to_async(notification_send)(user=world.owner, title=f"{CIRCLE}ping")
        text = await sockets[OWNER].receive_from(timeout=5)
        if f"{CIRCLE}ping" not in text:
            problems.append("the owner's own notification did not reach their socket")
        for role, socket in sockets.items():
            if role != OWNER and (leaked := await _nothing_private(socket)):
                problems.append(f"{role} received the owner's notification: {leaked}")
    elif pattern == "ws/safety/queue/":
        from kinwell.safety.services import escalation_broadcast

        for name in ("escalation_circle", "escalation_private"):
            await sync_to_async(escalation_broadcast)(escalation=world.o[name])
        for role, expected in ((MODERATOR, 2), (FACILITATOR, 1), (FAC_OTHER, 0)):
            got = []
            while not await sockets[role].receive_nothing(timeout=0.3):
                got.append(await sockets[role].receive_from())
            if len(got) != expected:
                problems.append(f"queue socket of {role}: {len(got)} rows, wanted {expected}")
            if leaked := [t for t in got if any(m in t for m in MARKERS)]:
                problems.append(f"queue socket of {role} carried member text: {leaked}")
    elif pattern == "ws/circles/<int:circle_id>/chat/":
        await sockets[PEER].send_to(
            text_data=json.dumps({"type": "send", "body": "hello circle", "client_id": "ws1"})
        )
        seen = [json.loads(await sockets[OWNER].receive_from(timeout=5))["type"]]
        if "message" not in seen:
            problems.append(f"the owner did not receive the peer's message: {seen}")
        stranger, connected, _ = await _connect(world, _path(world, pattern), STRANGER)
        if connected:
            await stranger.disconnect()
            problems.append("a stranger joined the owner's circle chat")
    return problems
