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
