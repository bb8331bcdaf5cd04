from typing import Any

from django.db.models import Prefetch, QuerySet

from kinwell.checkins.models import CheckIn
from kinwell.checkins.services import member_today


def checkin_today(*, user: Any) -> CheckIn | None:
    return CheckIn.objects.filter(user=user, day=member_today(user)).first()


def checked_in_today(*, user: Any) -> bool:
    return CheckIn.objects.filter(user=user, day=member_today(user)).exists()


def checkins_recent(*, user: Any, days: int = 30) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(user=user).order_by("-day")[:days]


def days_checked_in(*, user: Any) -> int:
    return CheckIn.objects.filter(user=user).count()


def checkins_between(*, user: Any, days: int) -> list[CheckIn]:
    """The member's check-ins over the last `days` of their own calendar, oldest first."""
    from datetime import timedelta

    start = member_today(user) - timedelta(days=days - 1)
    return list(CheckIn.objects.filter(user=user, day__gte=start).order_by("day"))


def checkins_recent_with_people(*, user: Any, days: int = 30) -> list[CheckIn]:
    """Recent check-ins, each with `people`: who the member connected with that day."""
    from kinwell.network.models import Contact

    checkins = list(
        CheckIn.objects.filter(user=user)
        .order_by("-day")
        .prefetch_related(
            Prefetch(
                "contacts",
                queryset=Contact.objects.select_related("person").order_by("person__alias"),
            )
        )[:days]
    )
    for checkin in checkins:
        checkin.people = [c.person for c in checkin.contacts.all()]  # type: ignore[attr-defined]
    return checkins


def connections_of(*, checkin: CheckIn) -> list[int]:
    """Ids of the map people named in this check-in."""
    return list(checkin.contacts.values_list("person_id", flat=True))
