import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from kinwell.core.models import AuditEvent, Notification

logger = logging.getLogger(__name__)


def audit_record(*, actor: Any, subject: Any, action: str, target: str, reason: str = "") -> None:
    """Write who viewed or changed another person's data.

    Call inside the transaction that reads or writes the data, so an access and its
    record stand or fall together. Access to one's own data is not recorded.
    """
    if actor is not None and actor.pk == subject.pk:
        return
    AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_role=_role_label(actor)[:100],
        subject=subject,
        action=action[:20],
        target=target[:120],
        reason=reason[:200],
    )


def _role_label(actor: Any) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return "system"
    from kinwell.accounts.roles import roles_of

    roles = [role for role in roles_of(actor) if role != "member"]
    if getattr(actor, "is_superuser", False):
        roles.append("administrator")
    return ", ".join(roles) or "member"


def notification_send(*, user: Any, title: str, body: str = "", url: str = "") -> Notification:
    """Store an in-app notification and push it to the member's open pages on commit."""
    note = Notification.objects.create(user=user, title=title[:120], body=body[:500], url=url)
    transaction.on_commit(lambda: push_to_user(user_id=user.pk, notification_id=note.pk))
    return note


def notifications_mark_read(*, user: Any) -> int:
    from kinwell.core.homecache import touch_home

    changed = Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if changed:
        touch_home(user.pk)
    return changed


def push_to_user(*, user_id: int, notification_id: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            user_group(user_id), {"type": "notification.new", "id": notification_id}
        )
    except Exception:
        # The row is stored; a member whose socket missed the push sees it on next load.
        logger.warning("could not push notification %s", notification_id, exc_info=True)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"
