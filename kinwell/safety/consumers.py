from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from kinwell.accounts.roles import has_role
from kinwell.safety import spaces
from kinwell.safety.selectors import can_see_queue, escalation_row_for
from kinwell.safety.services import QUEUE_GROUP_ALL, queue_group_for_space


class QueueConsumer(AsyncWebsocketConsumer):
    """Live safety queue: new and changed escalations arrive as table rows (no member text)."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        groups = await self._groups(user)
        if not groups:
            await self.close(code=4403)
            return
        self.user = user
        self.groups_joined = groups
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        return

    async def escalation_changed(self, event: dict[str, Any]) -> None:
        html = await self._row(event["id"])
        if html:
            await self.send(text_data=html)

    @database_sync_to_async
    def _groups(self, user: Any) -> list[str]:
        if not can_see_queue(user):
            return []
        if has_role(user, "moderator"):
            return [QUEUE_GROUP_ALL]
        return [queue_group_for_space(space) for space in spaces.spaces_facilitated_by(user)]

    @database_sync_to_async
    def _row(self, escalation_id: int) -> str:
        row = escalation_row_for(user=self.user, escalation_id=escalation_id)
        if row is None:
            return ""
        return render_to_string("safety/_queue_row.html", {"e": row})
