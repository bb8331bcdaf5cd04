from typing import Any

from django.db.models import QuerySet

from kinwell.checkins.models import CheckIn
from kinwell.checkins.services import member_today


def checkin_today(*, user: Any) -> CheckIn | None:
    return CheckIn.objects.filter(user=user, day=member_today(user)).first()


def checkins_recent(*, user: Any, days: int = 30) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(user=user).order_by("-day")[:days]


def days_checked_in(*, user: Any) -> int:
    return CheckIn.objects.filter(user=user).count()


def checkins_between(*, user: Any, days: int) -> list[CheckIn]:
    """The member's check-ins over the last `days` of their own calendar, oldest first."""
    from datetime import timedelta

    start = member_today(user) - timedelta(days=days - 1)
    return list(CheckIn.objects.filter(user=user, day__gte=start).order_by("day"))
