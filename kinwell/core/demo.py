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
            _seed_map(user, person)
    _seed_circle()
    from kinwell.programs.demo import seed_programs_demo

    seed_programs_demo(PEOPLE)
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


# Relationship maps: (alias, kind, circle, received, given, safety, days since last contact,
# rhythm in days). River's map is fairly full; Sage's is thin, so its gaps show.
_RIVER_MAP = [
    ("Jo", "family", 1, ["emotional", "practical"], ["emotional", "companionship"], 4, None, 7),
    ("Sam", "friend", 1, ["emotional", "companionship"], ["emotional"], 3, 24, 14),
    ("Dr Okafor", "therapist", 2, ["emotional", "informational"], [], 3, None, 0),
    ("Priya", "colleague", 2, ["practical", "informational"], ["informational"], 3, 40, 30),
    ("Mum", "family", 2, ["practical"], ["practical", "emotional"], 2, 70, 30),
    ("Walking group", "group", 3, ["companionship"], ["companionship"], 3, None, 14),
    ("Ali next door", "other", 3, ["practical"], ["companionship"], 3, 20, 0),
]
# Check-ins (days ago) that name someone from River's map.
_RIVER_CONNECTIONS = {12: ["Walking group"], 9: ["Dr Okafor"], 3: ["Jo"]}
_SAGE_MAP = [
    ("Marcus", "partner", 2, ["practical", "companionship"], ["emotional", "practical"], 2, 1, 0),
    ("Aunt Rosa", "family", 3, [], ["companionship"], 3, 100, 90),
    ("Kim", "colleague", 2, [], ["informational"], 3, 35, 30),
    ("Book club", "group", 3, [], [], 3, 21, 30),
    ("Tasha", "friend", 3, [], ["emotional"], 4, 200, 90),
]


def _seed_map(user: User, person: DemoPerson) -> None:
    from kinwell.assessments.services import response_submit
    from kinwell.checkins.models import CheckIn
    from kinwell.checkins.services import member_today
    from kinwell.network.models import Person
    from kinwell.network.services import checkin_connections_set, person_create

    if Person.objects.filter(user=user).exists():
        return
    today = member_today(user)
    river = person.display_name == "River"
    people = {}
    for alias, kind, circle, received, given, safety, ago, rhythm in (
        _RIVER_MAP if river else _SAGE_MAP
    ):
        people[alias] = person_create(
            user=user,
            alias=alias,
            kind=kind,
            circle=circle,
            support_received=received,
            support_given=given,
            safety=safety,
            last_contact=today - timedelta(days=ago) if ago is not None else None,
            rhythm_days=rhythm,
        )
    if river:
        for ago, aliases in _RIVER_CONNECTIONS.items():
            checkin = CheckIn.objects.filter(user=user, day=today - timedelta(days=ago)).first()
            if checkin is not None:
                checkin_connections_set(
                    user=user, checkin=checkin, people=[people[a] for a in aliases]
                )
        # ECR-RS about Jo: at ease leaning on her, little worry about her care.
        answers = [6, 6, 6, 6, 2, 2, 2, 1, 2]
        about = people["Jo"]
    else:
        # ECR-RS about Marcus: closeness feels hard and worry runs high.
        answers = [3, 2, 3, 2, 5, 6, 6, 5, 6]
        about = people["Marcus"]
    response_submit(
        user=user,
        instrument_id="ecr-rs",
        answers={str(n): v for n, v in enumerate(answers, start=1)},
        person=about,
    )


# Peers who share River and Sage's circle; they exist to make it feel alive and have no
# usable password.
_PEERS = [
    ("Wren", "wren@demo.kinwell.test", "Europe/Berlin", "steady"),
    ("Alder", "alder@demo.kinwell.test", "America/New_York", "early"),
    ("Bay", "bay@demo.kinwell.test", "Europe/Lisbon", "middle"),
]


def _seed_circle() -> None:
    from kinwell.circles.models import (
        Acknowledgement,
        Agreement,
        ChatMessage,
        Circle,
        Meeting,
        Membership,
        Partnership,
        Post,
    )
    from kinwell.circles.services import default_agreements

    if Circle.objects.filter(name="Harbour", focus="grief").exists():
        return
    people = {u.display_name: u for u in User.objects.filter(email__in=[p.email for p in PEOPLE])}
    for name, email, zone, _stage in _PEERS:
        if name not in people:
            peer = User.objects.create_user(
                email=email,
                password=None,
                display_name=name,
                time_zone=zone,
                adult_confirmed_at=timezone.now(),
            )
            people[name] = peer
    circle = Circle.objects.create(name="Harbour", focus="grief", language="en", slot="mon 19:00")
    Agreement.objects.create(circle=circle, version=1, text=default_agreements())
    now = timezone.now()
    stages = {"River": "middle", "Sage": "early", **{n: st for n, _e, _z, st in _PEERS}}
    for name, stage in stages.items():
        Membership.objects.create(
            circle=circle, user=people[name], stage=stage, agreed_version=1, agreed_at=now
        )
    Membership.objects.create(
        circle=circle,
        user=people["Fern"],
        role=Membership.Role.FACILITATOR,
        agreed_version=1,
        agreed_at=now,
    )
    first = Post.objects.create(
        circle=circle,
        author=people["Sage"],
        body="It's been four months since Dad died. Everyone else seems to have moved on and "
        "I feel like I'm not allowed to still be this sad.",
    )
    Post.objects.filter(pk=first.pk).update(created_at=now - timedelta(days=2))
    reply = Post.objects.create(
        circle=circle,
        author=people["Wren"],
        parent=first,
        is_reply=True,
        body="Four months is no time at all. It sounds lonely to be the only one still "
        "carrying it. What do you miss most about him this week?",
    )
    Post.objects.filter(pk=reply.pk).update(created_at=now - timedelta(days=1, hours=20))
    Acknowledgement.objects.create(user=people["River"], post=first, response="with")
    Acknowledgement.objects.create(user=people["Bay"], post=first, response="too")
    welcome = Post.objects.create(
        circle=circle,
        author=people["Fern"],
        pinned=True,
        body="Welcome to Harbour. We meet on Mondays; between meetings, post here or chat "
        "whenever you like. Please read our agreements, and be gentle with yourselves.",
    )
    Post.objects.filter(pk=welcome.pk).update(created_at=now - timedelta(days=6))
    for minutes_ago, name, body in [
        (95, "Alder", "Rough morning. Found his handwriting on a shopping list."),
        (90, "River", "Oh, that one catches you out. I'm glad you told us."),
        (88, "Bay", "Same thing happened to me with a birthday card. Sending warmth."),
        (30, "Sage", "Thank you all for Monday. It helped more than I expected."),
    ]:
        message = ChatMessage.objects.create(circle=circle, author=people[name], body=body)
        ChatMessage.objects.filter(pk=message.pk).update(
            created_at=now - timedelta(minutes=minutes_ago)
        )
    Meeting.objects.create(
        circle=circle,
        starts_at=(now + timedelta(days=3)).replace(minute=0, second=0, microsecond=0),
        minutes=60,
        title="Harbour weekly circle",
        where="Video link shared in the chat before we start",
        created_by=people["Fern"],
    )
    Partnership.objects.create(
        circle=circle,
        asker=people["River"],
        partner=people["Sage"],
        status=Partnership.Status.ACTIVE,
        answered_at=now - timedelta(days=5),
    )
