"""Live circle chat.

Every message is stored (and screened) in one database transaction before anything is
sent: the sender's "ack" means the message is durable. Then it is broadcast as HTML
rendered once, so recipients cost no database work.

Database calls go through one `sync_to_async` hop each, instead of Channels'
`database_sync_to_async`, which adds a connection-cleanup hop per call; that hop made
p99 latency ten times worse under load (shared/reference/performance-baselines.md).
Connections are checked here instead: a broken one is closed and the call retried once.
"""

import json
import logging
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.http import Http404
from django.template.loader import render_to_string

from kinwell.circles import selectors, services
from kinwell.circles.models import CHAT_MAX
from kinwell.safety.help import inline_help

logger = logging.getLogger(__name__)

# Close codes: the page shows a plain sentence for each and stops reconnecting.
NOT_SIGNED_IN = 4401
NOT_ALLOWED = 4403
NOT_FOUND = 4404


def _db_call(func: Any) -> Any:
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (OperationalError, InterfaceError):
            # A dropped connection (database restart): start a fresh one and try once more.
            connection.close()
            return func(*args, **kwargs)

    return sync_to_async(run, thread_sensitive=True)


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=NOT_SIGNED_IN)
            return
        self.user = user
        self.circle_id = int(self.scope["url_route"]["kwargs"]["circle_id"])
        code = await _db_call(self._check_member)()
        if code:
            await self.close(code=code)
            return
        self.group = services.chat_group(self.circle_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    def _check_member(self) -> int:
        close_old_connections()
        try:
            selectors.circle_get_for_member(user=self.user, circle_id=self.circle_id)
        except selectors.AgreementsNeeded:
            return NOT_ALLOWED
        except Http404:
            return NOT_FOUND
        from kinwell.safety.selectors import blocked_ids_for, muted_ids_for

        self.hidden = blocked_ids_for(user=self.user) | muted_ids_for(user=self.user)
        return 0

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            data = json.loads(text_data or "")
        except ValueError:
            await self._error("That message could not be read. Please try again.")
            return
        if not isinstance(data, dict) or data.get("type") != "send":
            await self._error("Unknown request.")
            return
        body = data.get("body")
        client_id = data.get("client_id", "")
        if not isinstance(body, str) or not isinstance(client_id, str):
            await self._error("A message needs some text.")
            return
        if len(body) > CHAT_MAX:
            await self._error(f"Keep messages under {CHAT_MAX:,} characters.", client_id)
            return
        try:
            message, outcome, created, html, help_html = await _db_call(self._store)(
                body, client_id
            )
        except PermissionDenied as exc:
            await self.send(text_data=json.dumps({"type": "removed", "message": str(exc)}))
            await self.close(code=NOT_ALLOWED)
            return
        except ValidationError as exc:
            await self._error(exc.messages[0], client_id)
            return
        except Exception:
            logger.exception("chat message could not be stored")
            await self._error("Your message was not sent. Please try again.", client_id)
            return
        if created and not outcome.needs_choice:
            await self.channel_layer.group_send(
                self.group,
                {"type": "chat.message", "id": message.pk, "author_id": self.user.pk, "html": html},
            )
        reply: dict[str, Any] = {"type": "ack", "client_id": client_id, "id": message.pk}
        if help_html:
            reply["help"] = help_html
        if outcome.needs_choice:
            reply["held"] = True
        await self.send(text_data=json.dumps(reply))

    def _store(self, body: str, client_id: str) -> tuple[Any, Any, bool, str, str]:
        message, outcome, created = services.chat_send(
            author=self.user, circle_id=self.circle_id, body=body, client_id=client_id
        )
        html = services.render_message(message)
        help_html = ""
        if outcome.shows_help:
            help_html = render_to_string(
                "circles/_chat_help.html",
                {
                    "needs_choice": outcome.needs_choice,
                    "item_id": message.pk,
                    **inline_help(user=self.user, level=outcome.level),
                },
            )
        return message, outcome, created, html, help_html

    async def _error(self, text: str, client_id: str = "") -> None:
        await self.send(
            text_data=json.dumps({"type": "error", "message": text, "client_id": client_id})
        )

    async def chat_message(self, event: dict[str, Any]) -> None:
        if event["author_id"] in self.hidden:
            return
        await self.send(
            text_data=json.dumps(
                {
                    "type": "message",
                    "id": event["id"],
                    "mine": event["author_id"] == self.user.pk,
                    "html": event["html"],
                }
            )
        )

    async def member_removed(self, event: dict[str, Any]) -> None:
        if event["user_id"] == self.user.pk:
            await self.send(
                text_data=json.dumps(
                    {"type": "removed", "message": "You are no longer a member of this circle."}
                )
            )
            await self.close(code=NOT_ALLOWED)
