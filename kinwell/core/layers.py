"""A channel layer for one machine without Redis.

`kinwell serve` runs pages under WSGI and WebSockets under ASGI in separate processes,
so an in-memory layer in the page process could never reach the sockets. The page
process is given KINWELL_RELAY_URL: its group sends are POSTed over loopback to the ASGI
process, which delivers them from its own in-memory layer. With REDIS_URL set, Redis
pub/sub replaces all of this.
"""

import asyncio
import hashlib
import hmac
import json
import logging
import time
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)
RELAY_PATH = "/internal/relay/"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def relay_token() -> str:
    return hmac.new(settings.SECRET_KEY.encode(), b"kinwell-relay", hashlib.sha256).hexdigest()


class RelayChannelLayer(InMemoryChannelLayer):
    def __init__(self, relay_url: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.relay_url = relay_url
        self._next_clean = 0.0

    def _clean_expired(self) -> None:
        # The in-memory layer walks every channel and group on every send and receive to
        # drop expired messages: with hundreds of sockets that walk was the largest cost
        # of a chat line. Messages live for a minute, so walking once a second is enough.
        now = time.monotonic()
        if now < self._next_clean:
            return
        self._next_clean = now + 1.0
        super()._clean_expired()

    async def group_send_local(self, group: str, message: dict[str, Any]) -> None:
        await super().group_send(group, message)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if not self.relay_url:
            await super().group_send(group, message)
            return
        body = json.dumps({"group": group, "message": message}).encode()
        request = urllib.request.Request(  # noqa: S310  (our own loopback relay URL)
            self.relay_url,
            data=body,
            headers={"Content-Type": "application/json", "X-Kinwell-Relay": relay_token()},
            method="POST",
        )
        try:
            await asyncio.to_thread(urllib.request.urlopen, request, timeout=2)
        except OSError:
            # Stored data is unaffected; open pages catch up on their next load.
            logger.warning("relay to the WebSocket process failed for %s", group)


ASGIApp = Callable[
    [dict[str, Any], Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]], Awaitable[None]
]


class RelayEndpoint:
    """ASGI wrapper that accepts relayed group sends from the page process (loopback only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") != RELAY_PATH:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("", 0))[0]
        headers = dict(scope.get("headers") or [])
        token = headers.get(b"x-kinwell-relay", b"").decode()
        if (
            scope.get("method") != "POST"
            or client not in LOOPBACK
            or not hmac.compare_digest(token, relay_token())
        ):
            await _respond(send, 403)
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        try:
            payload = json.loads(body)
            group, message = str(payload["group"]), dict(payload["message"])
        except (ValueError, KeyError, TypeError):
            await _respond(send, 400)
            return
        layer = get_channel_layer()
        if isinstance(layer, RelayChannelLayer):
            await layer.group_send_local(group, message)
        elif layer is not None:
            await layer.group_send(group, message)
        await _respond(send, 204)


async def _respond(send: Any, status: int) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b""})
