"""Live circle chat.

Every message is stored (and screened) in a database transaction before anything is
sent: the sender's "ack" means the message is durable. Then it is broadcast as HTML
rendered once, so recipients cost no database work.

Messages are written by one writer per process with group commit: whatever arrives while
a batch is being written goes into the next batch, checked and stored in one transaction
(`services.chat_send_many`). A quiet circle's message is written alone at once; under
load the cost per message falls instead of a queue building up behind one database thread.

Database calls go through one `sync_to_async` hop each, instead of Channels'
`database_sync_to_async`, which adds a connection-cleanup hop per call; that hop made
p99 latency ten times worse under load (shared/reference/performance-baselines.md).
Connections are checked here instead: a broken one is closed and the call retried once.
"""

import asyncio
import json
import logging
import weakref
from typing import Any

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
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


# Enough to amortise the transaction, small enough to keep the first ack in a batch prompt.
BATCH_MAX = 64


class ChatWriter:
    """Group commit for one event loop: one batch in the database at a time."""

    def __init__(self) -> None:
        self.pending: list[tuple[services.ChatDraft, asyncio.Future[Any]]] = []
        self.task: asyncio.Task[None] | None = None

    async def store(self, draft: services.ChatDraft) -> tuple[services.ChatResult, str, str]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending.append((draft, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[:BATCH_MAX], self.pending[BATCH_MAX:]
            try:
                stored = await _db_call(_store_batch)([draft for draft, _ in batch])
            except Exception as exc:
                logger.exception("chat batch could not be stored")
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), outcome in zip(batch, stored, strict=True):
                if not future.done():  # the sender's socket may have gone meanwhile
                    future.set_result(outcome)


def _store_batch(drafts: list[services.ChatDraft]) -> list[tuple[services.ChatResult, str, str]]:
    close_old_connections()
    done = []
    for result in services.chat_send_many(drafts):
        html = help_html = ""
        message = result.message
        if message is not None:
            html = services.render_live_message(message)
            if result.outcome.shows_help:
                help_html = render_to_string(
                    "circles/_chat_help.html",
                    {
                        "needs_choice": result.outcome.needs_choice,
                        "item_id": message.pk,
                        **inline_help(user=message.author, level=result.outcome.level),
                    },
                )
        done.append((result, html, help_html))
    return done


_writers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ChatWriter]" = (
    weakref.WeakKeyDictionary()
)


def chat_writer() -> ChatWriter:
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = ChatWriter()
    return writer


class ChatConsumer(AsyncWebsocketConsumer):
    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' own dispatch first sends `close_old_connections` to the database thread
        # for every event, including each broadcast line this socket relays: thousands of
        # thread hops a second queued behind the chat writer. Every database call here
        # starts with `close_old_connections` in its own thread, so the hop is not needed.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

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
        except (ValueError, RecursionError):  # RecursionError: deeply nested JSON
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
            result, html, help_html = await chat_writer().store(
                services.ChatDraft(self.user, self.circle_id, body, client_id)
            )
        except Exception:
            await self._error("Your message was not sent. Please try again.", client_id)
            return
        if isinstance(result.error, PermissionDenied):
            await self.send(text_data=json.dumps({"type": "removed", "message": str(result.error)}))
            await self.close(code=NOT_ALLOWED)
            return
        if isinstance(result.error, ValidationError):
            await self._error(result.error.messages[0], client_id)
            return
        message, outcome = result.message, result.outcome
        if message is None:  # no error and no message: cannot happen, but never crash
            await self._error("Your message was not sent. Please try again.", client_id)
            return
        if result.created and not outcome.needs_choice:
            # Encoded once here, not once per recipient.
            payload = {"type": "message", "id": message.pk, "mine": False, "html": html}
            try:
                await self.channel_layer.group_send(
                    self.group,
                    {
                        "type": "chat.message",
                        "author_id": self.user.pk,
                        "text": json.dumps(payload),
                        "text_mine": json.dumps({**payload, "mine": True}),
                    },
                )
            except Exception:
                # The message is stored (the circle sees it when the page reloads); a
                # broken broadcast (Redis down) must not cost the writer their ack.
                logger.exception("chat broadcast failed for circle %s", self.circle_id)
        reply: dict[str, Any] = {"type": "ack", "client_id": client_id, "id": message.pk}
        if help_html:
            reply["help"] = help_html
        if outcome.needs_choice:
            reply["held"] = True
        await self.send(text_data=json.dumps(reply))

    async def _error(self, text: str, client_id: str = "") -> None:
        await self.send(
            text_data=json.dumps({"type": "error", "message": text, "client_id": client_id})
        )

    async def chat_message(self, event: dict[str, Any]) -> None:
        author_id = event["author_id"]
        if author_id in self.hidden:
            return
        if "text" in event:
            await self.send(text_data=event["text_mine" if author_id == self.user.pk else "text"])
            return
        # Sent by a page view (the no-script form, a held message shared later).
        await self.send(
            text_data=json.dumps(
                {
                    "type": "message",
                    "id": event["id"],
                    "mine": author_id == self.user.pk,
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
