from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from kinwell.core.selectors import notification_get_for_member
from kinwell.core.services import user_group


class NotificationConsumer(AsyncWebsocketConsumer):
    """Pushes a member's own notifications to their open pages as htmx-ready HTML."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # The socket only delivers; members act through pages, which go through services.
        return

    async def notification_new(self, event: dict[str, Any]) -> None:
        html = await self._render(event["id"])
        if html:
            await self.send(text_data=html)

    @database_sync_to_async
    def _render(self, notification_id: int) -> str:
        from django.http import Http404

        try:
            note = notification_get_for_member(user=self.user, notification_id=notification_id)
        except Http404:
            return ""
        return render_to_string("core/_notification_push.html", {"note": note})
