from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from kinwell.core.models import AuditEvent, Notification


def audit_events_about(*, user: Any, limit: int = 50) -> QuerySet[AuditEvent]:
    """The access log a member sees about their own data (sign-in changes are listed on
    the security page instead: nobody looked at anything)."""
    return AuditEvent.objects.filter(subject=user).exclude(action="security")[:limit]


def security_events_for(*, user: Any, limit: int = 20) -> QuerySet[AuditEvent]:
    """Changes to how this account signs in, newest first (see `accounts.security_event`)."""
    return AuditEvent.objects.filter(subject=user, action="security").order_by("-pk")[:limit]


def notifications_for(*, user: Any, limit: int = 10) -> list[Notification]:
    return list(Notification.objects.filter(user=user)[:limit])


def notifications_unread_count(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_get_for_member(*, user: Any, notification_id: int) -> Notification:
    """A member's own notification; anyone else's is a 404, never a hint it exists."""
    return get_object_or_404(Notification, pk=notification_id, user=user)
