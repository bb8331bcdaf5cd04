"""Builders for circle tests: a circle whose members already accepted its agreements."""

from typing import Any

from django.utils import timezone

from kinwell.accounts.tests.factories import UserFactory
from kinwell.circles.models import Agreement, Circle, Membership
from kinwell.circles.services import default_agreements


def make_circle(*, members: list[Any] | None = None, n: int = 5, **fields: Any) -> Circle:
    fields = {"name": "Cedar", "focus": "grief", "language": "en", "slot": "mon 19:00", **fields}
    circle = Circle.objects.create(**fields)
    Agreement.objects.create(circle=circle, version=1, text=default_agreements())
    for user in members if members is not None else [UserFactory() for _ in range(n)]:
        Membership.objects.create(
            circle=circle, user=user, agreed_version=1, agreed_at=timezone.now()
        )
    return circle


def add_facilitator(circle: Circle, user: Any) -> Membership:
    return Membership.objects.create(
        circle=circle,
        user=user,
        role=Membership.Role.FACILITATOR,
        agreed_version=1,
        agreed_at=timezone.now(),
    )
