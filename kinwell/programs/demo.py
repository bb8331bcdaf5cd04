"""Demo data for guided programs: the first demo member is three days into "Ten days of
reconnection", with a reflection for each day. Idempotent: a member who already has a run
of the program is left as they are."""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from kinwell.checkins.services import member_today
from kinwell.programs.models import Enrolment, Step

PROGRAM = "ten-days-of-reconnection"
REFLECTIONS = (
    "I noticed I have been saying no to plans for months. Before the grounding I was at 6, "
    "after it about 4.",
    "Safe and stable feel okay this week. Seen is the thin one. My sister texting on Sunday "
    "helped more than I expected.",
    "Breathing out slowly was easier than I thought. I would like to try it with Jo on a call.",
)


def _first_member(people: Iterable[Any]) -> Any:
    """The first member among `people`: users, or demo people with a role and an email."""
    User = get_user_model()
    for person in people:
        if isinstance(person, User):
            return person
        if getattr(person, "role", "member") == "member" and getattr(person, "email", ""):
            return User.objects.filter(email=person.email).first()
    return None


@transaction.atomic
def seed_programs_demo(people: Iterable[Any]) -> Enrolment | None:
    member = _first_member(people)
    if member is None:
        return None
    existing = Enrolment.objects.filter(user=member, program=PROGRAM).first()
    if existing is not None:
        return existing
    enrolment = Enrolment.objects.create(user=member, program=PROGRAM)
    today = member_today(member)
    days = len(REFLECTIONS)
    for number, words in enumerate(REFLECTIONS, start=1):
        # Finished on the three days before today, so day 4 is open for whoever signs in.
        Step.objects.create(
            enrolment=enrolment,
            day=number,
            completed_on=today - timedelta(days=days + 1 - number),
            reflection=words,
        )
    return enrolment
