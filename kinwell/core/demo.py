"""Demo data: a living instance for newcomers. Idempotent: running it twice changes nothing
but the demo passwords, which are reset so that the printed logins always work."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from kinwell.accounts import services as account_services
from kinwell.accounts.models import ConsentRecord, User
from kinwell.accounts.roles import ensure_roles
from kinwell.core.models import Notification


@dataclass(frozen=True)
class DemoPerson:
    role: str
    display_name: str
    email: str
    pronouns: str
    country: str
    time_zone: str


PEOPLE = [
    DemoPerson("member", "River", "river@demo.kinwell.test", "they/them", "GB", "Europe/London"),
    DemoPerson("member", "Sage", "sage@demo.kinwell.test", "she/her", "US", "America/Chicago"),
    DemoPerson("facilitator", "Fern", "fern@demo.kinwell.test", "she/her", "IE", "Europe/Dublin"),
    DemoPerson("clinician", "Dr Ash", "ash@demo.kinwell.test", "he/him", "CA", "America/Toronto"),
    DemoPerson("moderator", "Moss", "moss@demo.kinwell.test", "", "AU", "Australia/Sydney"),
]


@transaction.atomic
def seed_demo(*, password: str = "") -> tuple[str, list[DemoPerson]]:
    password = password or secrets.token_urlsafe(9)
    ensure_roles()
    for person in PEOPLE:
        user = User.objects.filter(email=person.email).first()
        if user is None:
            user = account_services.user_sign_up(
                display_name=person.display_name,
                email=person.email,
                password=password,
                adult_confirmed=True,
                research_consent=person.role == "member",
                country=person.country,
                time_zone=person.time_zone,
                pronouns=person.pronouns,
            )
            Notification.objects.create(
                user=user,
                title="Welcome to Kinwell",
                body="This is a demo account. Look around; nothing here is real.",
                url="/privacy/",
            )
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        if person.role != "member":
            user.groups.add(Group.objects.get(name=person.role))
        if not ConsentRecord.objects.filter(user=user).exists():
            for purpose in ("terms", "privacy"):
                account_services.consent_set(user=user, purpose=purpose, granted=True)
        if person.role == "member":
            _seed_member_life(user, person)
    return password, PEOPLE


# Two weeks of check-ins: (days ago, seen, safe, soothed, secure, stable, window, mood).
_RIVER_DAYS = [
    (13, 1, 2, 1, 2, 1, "above", 2),
    (12, 1, 2, 2, 2, 2, "above", 2),
    (10, 2, 2, 2, 2, 2, "inside", 3),
    (9, 2, 3, 2, 2, 3, "inside", 3),
    (7, 3, 3, 2, 3, 3, "inside", 3),
    (6, 2, 2, 1, 2, 2, "below", 2),
    (4, 3, 3, 3, 3, 3, "inside", 4),
    (3, 3, 4, 3, 3, 3, "inside", 4),
    (1, 4, 3, 3, 3, 4, "inside", 4),
]


def _seed_member_life(user: User, person: DemoPerson) -> None:
    from kinwell.checkins.models import CheckIn
    from kinwell.checkins.services import checkin_save, member_today
    from kinwell.safety.models import SafetyPlan
    from kinwell.safety.services import safety_plan_save

    if CheckIn.objects.filter(user=user).exists():
        return
    _seed_assessments(user, person)
    today = member_today(user)
    if person.display_name == "River":
        for ago, seen, safe, soothed, secure, stable, window, mood in _RIVER_DAYS:
            CheckIn.objects.create(
                user=user,
                day=today - timedelta(days=ago),
                seen=seen,
                safe=safe,
                soothed=soothed,
                secure=secure,
                stable=stable,
                window=window,
                mood=mood,
            )
        if not SafetyPlan.objects.filter(user=user).exists():
            safety_plan_save(
                user=user,
                warning_signs="Not sleeping. Cancelling plans. Replaying old arguments at night.",
                coping_steps="Cold water on my face.\nA slow walk to the river and back.\n"
                "Breathing out longer than in, ten times.",
                distractions="The library on Park Street.\nMy neighbour's dog.",
                people_to_ask="Jo (sister)\nSam from my circle",
                professionals="My GP surgery\nSamaritans 116 123",
                safer_surroundings="Keep only a week of tablets at home; Jo keeps the rest.",
                reasons_for_living="Jo's kids. Finishing the garden. Seeing the sea again.",
            )
    else:
        checkin_save(
            user=user,
            seen=1,
            safe=2,
            soothed=1,
            secure=1,
            stable=2,
            window="below",
            mood=2,
            note="Feeling like a burden to everyone lately. I keep wondering what the point is.",
        )


def _seed_assessments(user: User, person: DemoPerson) -> None:
    from kinwell.assessments.models import AssessmentResponse
    from kinwell.assessments.services import response_submit, retake_schedule_set

    if person.display_name == "River":
        # Two PHQ-9s a month apart, the second lower, and a fortnightly reminder.
        first, _ = response_submit(
            user=user,
            instrument_id="phq9",
            answers=dict(zip("123456789", [2, 2, 1, 2, 1, 1, 2, 1, 0], strict=True)),
        )
        AssessmentResponse.objects.filter(pk=first.pk).update(
            completed_at=timezone.now() - timedelta(days=30)
        )
        response_submit(
            user=user,
            instrument_id="phq9",
            answers=dict(zip("123456789", [1, 1, 0, 1, 0, 1, 1, 0, 0], strict=True)),
        )
        retake_schedule_set(user=user, instrument_id="phq9", every_days=14)
    else:
        response_submit(
            user=user,
            instrument_id="ecr-r",
            answers={str(i): (3 if i <= 18 else 5) for i in range(1, 37)},
        )
