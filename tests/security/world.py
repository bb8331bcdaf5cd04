"""One fixture world: a member (the owner) with data in every app, and the people around
them, each signed in once.

Every text the owner keeps to themselves carries PRIVATE ("kwpriv..."); every text they
share with their circle carries CIRCLE ("kwcircle..."). A response to anyone who should
not see it must contain neither (see test_http_matrix.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.test import Client
from django.utils import timezone

PRIVATE = "kwpriv"
CIRCLE = "kwcircle"
MARKERS = (PRIVATE, CIRCLE)

# The six roles every matrix entry must decide for.
ANON = "anonymous"
OWNER = "owner"
STRANGER = "stranger"  # another member, signed in, no relation to the owner
FAC_OTHER = "facilitator_other"  # facilitator of ANOTHER circle
CLINICIAN = "clinician"  # clinician role, not linked by the owner
MODERATOR = "moderator"
CORE_ROLES = (ANON, OWNER, STRANGER, FAC_OTHER, CLINICIAN, MODERATOR)

# Rightful roles next to the owner, for positive controls where the owner is not the one.
PEER = "peer"  # a member of the owner's circle
FACILITATOR = "facilitator"  # facilitator of the owner's circle
CLINICIAN_LINKED = "clinician_linked"  # the clinician the owner linked and shares with
STAFF = "staff"  # is_staff + is_superuser: the admin's rightful user
# Edges worth a look where a matrix entry names them.
FORMER = "former"  # left the owner's circle
BLOCKED = "blocked"  # blocked by the owner
EXTRA_ROLES = (PEER, FACILITATOR, CLINICIAN_LINKED, STAFF, FORMER, BLOCKED)
OWNER_NAME = "Owner Oak"
ALL_ROLES = CORE_ROLES + EXTRA_ROLES


@dataclass
class World:
    users: dict[str, Any]
    sessions: dict[str, str]
    o: dict[str, Any] = field(default_factory=dict)  # the owner's objects, by name
    baseline: list[Any] = field(default_factory=list)  # fingerprint() as built
    _client: Client | None = None

    @property
    def owner(self) -> Any:
        return self.users[OWNER]

    def client(self, role: str) -> Client:
        """A client signed in as the role, with no other cookies. The session was made
        once, in the world; each test's rollback restores it even if a request signs out.
        One Client is reused: a new one loads every middleware again (WhiteNoise scans
        the static files each time)."""
        from http.cookies import SimpleCookie

        if self._client is None:
            self._client = Client()
        self._client.cookies = SimpleCookie()
        if role != ANON:
            self._client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[role]
        return self._client


def _user(display_name: str, roles: tuple[str, ...] = (), **fields: Any) -> Any:
    from kinwell.accounts.tests.factories import UserFactory

    # password=None: an unusable password, without hashing (argon2 is slow by design).
    return UserFactory(display_name=display_name, roles=list(roles), password=None, **fields)


def build_world() -> World:
    from kinwell.assessments.models import AssessmentResponse, RetakeSchedule
    from kinwell.assessments.services import response_submit
    from kinwell.care.models import CareLink, SharedCheckIn
    from kinwell.checkins.models import CheckIn, Reminder
    from kinwell.checkins.services import member_today
    from kinwell.circles.models import (
        Acknowledgement,
        ChatMessage,
        CheckInShare,
        CircleConnection,
        JoinRequest,
        Meeting,
        Membership,
        Partnership,
        Post,
        Visibility,
    )
    from kinwell.circles.tests.factories import add_facilitator, make_circle
    from kinwell.coach.models import CoachPreference
    from kinwell.core.models import Notification
    from kinwell.network.models import Contact, Person
    from kinwell.programs.models import CircleProgram, Enrolment, ProgressShare, Step
    from kinwell.safety.models import (
        Appeal,
        Block,
        Escalation,
        EscalationNote,
        ModerationDecision,
        Report,
        SafetyPlan,
    )

    users = {
        OWNER: _user(OWNER_NAME),
        STRANGER: _user("Stranger Sol"),
        FAC_OTHER: _user("Other Facilitator Fern", ("facilitator",)),
        CLINICIAN: _user("Unlinked Clinician Cole", ("clinician",)),
        MODERATOR: _user("Moderator Mae", ("moderator",)),
        PEER: _user("Peer Pia"),
        FACILITATOR: _user("Facilitator Finn", ("facilitator",)),
        CLINICIAN_LINKED: _user("Linked Clinician Lee", ("clinician",)),
        STAFF: _user("Staff Sam", is_staff=True, is_superuser=True),
        FORMER: _user("Former Flo"),
        BLOCKED: _user("Blocked Bo"),
    }
    owner = users[OWNER]
    o: dict[str, Any] = {"owner": owner}
    today = member_today(owner)
    now = timezone.now()

    # --- check-ins -------------------------------------------------------------------
    def checkin(day: Any, note: str) -> CheckIn:
        return CheckIn.objects.create(
            user=owner, day=day, seen=3, safe=3, soothed=2, secure=3, stable=2,
            window=CheckIn.Window.INSIDE, mood=3, note=note,
        )  # fmt: skip

    o["checkin"] = checkin(today, f"{PRIVATE}checkinnote today was heavy")
    o["checkin_old"] = checkin(today - timedelta(days=1), f"{PRIVATE}olderchecknote")
    o["reminder"] = Reminder.objects.create(user=owner, at="20:00")

    # --- assessments -----------------------------------------------------------------
    o["response"], _ = response_submit(
        user=owner, instrument_id="phq9", answers={str(i): 1 for i in range(1, 9)} | {"9": 0}
    )
    o["schedule"] = RetakeSchedule.objects.create(
        user=owner, instrument="phq9", every_days=14, due_at=now + timedelta(days=14)
    )

    # --- the relationship map --------------------------------------------------------
    o["person"] = Person.objects.create(
        user=owner, alias=f"{PRIVATE}alias", kind=Person.Kind.FRIEND,
        circle=Person.Circle.INNER, support_received=["emotional"], safety=3, added_on=today,
    )  # fmt: skip
    o["contact"] = Contact.objects.create(
        person=o["person"], day=today - timedelta(days=2), note=f"{PRIVATE}contactnote"
    )
    o["attachment"], _ = response_submit(
        user=owner,
        instrument_id="ecr-rs",
        answers={str(n): 4 for n in range(1, 10)},
        person=o["person"],
    )

    # --- circles: the owner's circle (with peer and facilitator) and another one ------
    circle = make_circle(members=[owner, users[PEER], users[FORMER]], name="Cedar")
    Membership.objects.filter(circle=circle, user=users[FORMER]).update(
        status=Membership.Status.LEFT, ended_at=now
    )
    add_facilitator(circle, users[FACILITATOR])
    circle.feed_token = "kwfeedtoken" + "x" * 20
    circle.save(update_fields=["feed_token"])
    other_circle = make_circle(members=[_user("Other Member Ola")], name="Birch")
    add_facilitator(other_circle, users[FAC_OTHER])
    other_circle.feed_token = "kwotherfeedtoken" + "y" * 20
    other_circle.save(update_fields=["feed_token"])
    o["circle"], o["other_circle"] = circle, other_circle

    o["post"] = Post.objects.create(circle=circle, author=owner, body=f"{CIRCLE}post hello all")
    o["reply"] = Post.objects.create(
        circle=circle, author=users[PEER], parent=o["post"], is_reply=True, body="I hear you"
    )
    o["held_post"] = Post.objects.create(
        circle=circle, author=owner, body=f"{PRIVATE}heldpost", visibility=Visibility.HELD
    )
    o["message"] = ChatMessage.objects.create(
        circle=circle, author=owner, body=f"{CIRCLE}chatmessage", client_id="c1"
    )
    o["held_message"] = ChatMessage.objects.create(
        circle=circle, author=owner, body=f"{PRIVATE}heldmessage", visibility=Visibility.HELD
    )
    o["share"] = CheckInShare.objects.create(checkin=o["checkin"], circle=circle)
    CircleConnection.objects.create(checkin=o["checkin"], circle=circle)
    Acknowledgement.objects.create(user=users[PEER], post=o["post"])
    o["meeting"] = Meeting.objects.create(
        circle=circle, starts_at=now + timedelta(days=2), minutes=60,
        title=f"{CIRCLE}meeting", where=f"{CIRCLE}meetingplace", created_by=users[FACILITATOR],
    )  # fmt: skip
    o["partnership"] = Partnership.objects.create(circle=circle, asker=users[PEER], partner=owner)
    o["join_request"] = JoinRequest.objects.create(
        user=owner,
        focus="loneliness",
        language="en",
        utc_offset=0.0,
        slots=["tue-21"],
        stage="early",
    )
    assert Membership.objects.filter(circle=circle, status="active").count() == 3

    # --- programs: a private run, and a run shared with the circle ---------------------
    o["circle_program"] = CircleProgram.objects.create(circle=circle, program="safe-enough")
    ProgressShare.objects.create(user=owner, circle_program=o["circle_program"])
    ProgressShare.objects.create(user=users[PEER], circle_program=o["circle_program"])
    o["enrolment"] = Enrolment.objects.create(user=owner, program="safe-enough")
    o["step_shared"] = Step.objects.create(
        enrolment=o["enrolment"], day=1, completed_on=today - timedelta(days=2),
        reflection=f"{CIRCLE}sharedreflection", shared=True,
    )  # fmt: skip
    o["step_private"] = Step.objects.create(
        enrolment=o["enrolment"], day=2, completed_on=today - timedelta(days=1),
        reflection=f"{PRIVATE}reflection",
    )  # fmt: skip
    o["enrolment_private"] = Enrolment.objects.create(
        user=owner, program="ten-days-of-reconnection"
    )
    Step.objects.create(
        enrolment=o["enrolment_private"], day=1, completed_on=today - timedelta(days=3),
        reflection=f"{PRIVATE}tendaysreflection",
    )  # fmt: skip

    # --- care team -------------------------------------------------------------------
    o["care_link"] = CareLink.objects.create(member=owner, clinician=users[CLINICIAN_LINKED])
    # Shared without the note: the linked clinician sees the numbers, never the words.
    SharedCheckIn.objects.create(checkin=o["checkin"], include_note=False)

    # --- coach, notifications --------------------------------------------------------
    CoachPreference.objects.create(user=owner, enabled=False)
    o["notification"] = Notification.objects.create(
        user=owner, title=f"{PRIVATE}notification", body=f"{PRIVATE}notificationbody"
    )

    # --- safety ----------------------------------------------------------------------
    o["plan"] = SafetyPlan.objects.create(
        user=owner, warning_signs=f"{PRIVATE}warningsigns", reasons_for_living=f"{PRIVATE}reasons"
    )
    o["escalation_private"] = Escalation.objects.create(
        author=owner, source_type="checkin_note", source_id=o["checkin"].pk, space="",
        level=Escalation.Level.CONCERN, reasons=["test"], text=f"{PRIVATE}escalationtext",
    )  # fmt: skip
    o["escalation_circle"] = Escalation.objects.create(
        author=owner, source_type="circle_post", source_id=o["post"].pk,
        space=f"circle:{circle.pk}", level=Escalation.Level.CONCERN, reasons=["test"],
        text=f"{CIRCLE}escalationtext", posted=True,
    )  # fmt: skip
    EscalationNote.objects.create(
        escalation=o["escalation_private"], author=users[MODERATOR],
        author_name="Moderator Mae", text=f"{PRIVATE}escalationnote",
    )  # fmt: skip
    o["report"] = Report.objects.create(
        reporter=users[PEER], reported=owner, target_type="circle_post",
        target_id=o["post"].pk, reason=Report.Reason.OTHER, details="please look",
    )  # fmt: skip
    decided = Report.objects.create(
        reporter=users[PEER], reported=owner, target_type="member", target_id=owner.pk,
        reason=Report.Reason.SPAM, state=Report.State.DECIDED,
    )  # fmt: skip
    o["decision"] = ModerationDecision.objects.create(
        report=decided, member=owner, moderator=users[MODERATOR],
        action=ModerationDecision.Action.WARNING, rule=ModerationDecision.Rule.SPAM,
        reason="Please keep it on topic.",
    )  # fmt: skip
    o["appeal"] = Appeal.objects.create(
        decision=o["decision"], member=owner, text=f"{PRIVATE}appealtext"
    )
    Block.objects.create(blocker=owner, blocked=users[BLOCKED])

    assert AssessmentResponse.objects.filter(user=owner).count() == 2

    sessions = {}
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    world = World(users=users, sessions=sessions, o=o)
    world.baseline = fingerprint(world)
    return world


# Fields that change on every sign-in or page load of the person themselves, never
# because of someone else's request.
VOLATILE = {"last_login", "last_seen", "last_seen_at", "updated_at"}


def fingerprint(world: World) -> list[Any]:
    """Everything that belongs to the owner (the privacy registry's own definition, so a
    new model is covered as soon as it is registered), plus the owner's circle with all
    its content and what others attached to the owner's words. Equal before and after a
    request: nothing of the owner's changed."""
    from kinwell.circles.models import (
        Acknowledgement,
        Agreement,
        ChatMessage,
        CheckInShare,
        Circle,
        CircleConnection,
        Meeting,
        Membership,
        Partnership,
        Post,
    )
    from kinwell.core import privacy
    from kinwell.programs.models import CircleProgram, ProgressShare, ReflectionAck

    owner = world.owner
    circle = world.o["circle"]
    snapshot: list[Any] = []
    querysets = [
        (category.key, category.model._default_manager.filter(**{category.owner: owner.pk}))
        for category in privacy.categories()
    ]
    querysets += [
        ("circle", Circle.objects.filter(pk=circle.pk)),
        ("agreements", Agreement.objects.filter(circle=circle)),
        ("meetings", Meeting.objects.filter(circle=circle)),
        ("memberships", Membership.objects.filter(circle=circle)),
        ("circle_programs", CircleProgram.objects.filter(circle=circle)),
        # Anything anyone put into the owner's circle (an outsider must not write there).
        ("circle_posts", Post.objects.filter(circle=circle)),
        ("circle_chat", ChatMessage.objects.filter(circle=circle)),
        ("circle_checkin_shares", CheckInShare.objects.filter(circle=circle)),
        ("circle_connections", CircleConnection.objects.filter(circle=circle)),
        ("circle_partnerships", Partnership.objects.filter(circle=circle)),
        ("circle_progress_shares", ProgressShare.objects.filter(circle_program__circle=circle)),
        ("acks", Acknowledgement.objects.filter(post__author=owner)),
        ("message_acks", Acknowledgement.objects.filter(message__author=owner)),
        ("share_acks", Acknowledgement.objects.filter(share__checkin__user=owner)),
        ("reflection_acks", ReflectionAck.objects.filter(step__enrolment__user=owner)),
    ]
    for key, queryset in querysets:
        rows = [
            {k: v for k, v in row.items() if k not in VOLATILE}
            for row in queryset.order_by("pk").values()
        ]
        snapshot.append((key, rows))
    return snapshot


def fingerprint_diff(before: list[Any], after: list[Any]) -> str:
    changed = [a[0] for a, b in zip(before, after, strict=True) if a != b]
    return ", ".join(changed)
