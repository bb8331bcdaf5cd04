"""Reads for guided programs, with access built in: a member sees their own runs and
reflections, and in a circle only what opted-in members chose to share."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import Http404

from kinwell.checkins.services import member_today
from kinwell.programs.content import Program, get_program, programs
from kinwell.programs.models import CircleProgram, Enrolment, ProgressShare, ReflectionAck, Step
from kinwell.programs.services import next_day_number


def program_get(slug: str) -> Program:
    program = get_program(slug)
    if program is None:
        raise Http404
    return program


@dataclass
class Progress:
    program: Program
    enrolment: Enrolment | None
    steps: list[Step]
    today: date

    @property
    def done(self) -> set[int]:
        return {s.day for s in self.steps}

    @property
    def days_done(self) -> int:
        return len(self.steps)

    @property
    def next_day(self) -> int | None:
        return next_day_number(self.done, self.program)

    @property
    def ongoing(self) -> bool:
        return self.enrolment is not None and self.enrolment.is_ongoing

    @property
    def active(self) -> bool:
        return self.enrolment is not None and self.enrolment.status == Enrolment.Status.ACTIVE

    @property
    def paused(self) -> bool:
        return self.enrolment is not None and self.enrolment.status == Enrolment.Status.PAUSED

    @property
    def finished(self) -> bool:
        return self.enrolment is not None and self.enrolment.status == Enrolment.Status.FINISHED

    @property
    def done_today(self) -> bool:
        return any(s.completed_on == self.today for s in self.steps)

    @property
    def can_step_today(self) -> bool:
        return self.active and self.next_day is not None and not self.done_today

    @property
    def last_step(self) -> Step | None:
        return max(self.steps, key=lambda s: s.day) if self.steps else None

    @property
    def days_away(self) -> int:
        """Calendar days since the last finished step (0 when none yet): only ever used to
        say "welcome back", never to count anything against the member."""
        last = self.last_step
        return (self.today - last.completed_on).days if last else 0

    def step_for(self, day: int) -> Step | None:
        return next((s for s in self.steps if s.day == day), None)

    def days(self) -> list[dict[str, Any]]:
        """Each day of the program with what the member has done, for lists."""
        by_day = {s.day: s for s in self.steps}
        next_day = self.next_day if self.ongoing else None
        return [
            {"day": d, "step": by_day.get(d.number), "is_next": d.number == next_day}
            for d in self.program.day_list
        ]


def latest_enrolment(*, user: Any, slug: str) -> Enrolment | None:
    """The member's run in progress, or else their most recent one."""
    runs = Enrolment.objects.filter(user=user, program=slug)
    return runs.filter(status__in=Enrolment.ONGOING).first() or runs.first()


def progress_for(*, user: Any, program: Program) -> Progress:
    enrolment = latest_enrolment(user=user, slug=program.slug)
    steps = list(enrolment.steps.order_by("day")) if enrolment else []
    return Progress(program=program, enrolment=enrolment, steps=steps, today=member_today(user))


def programs_overview(*, user: Any) -> list[tuple[Program, Enrolment | None, int]]:
    """Every program with the member's latest run and its days done: two queries."""
    latest: dict[str, Any] = {}
    for enrolment in Enrolment.objects.filter(user=user).annotate(n_steps=Count("steps")):
        current = latest.get(enrolment.program)
        if current is None or (enrolment.is_ongoing and not current.is_ongoing):
            latest[enrolment.program] = enrolment
    return [
        (
            program,
            latest.get(slug),
            latest[slug].n_steps if slug in latest else 0,
        )
        for slug, program in programs().items()
    ]


def runs_for(*, user: Any, slug: str) -> list[Enrolment]:
    """All of the member's runs of a program, newest first, each with its steps."""
    return list(
        Enrolment.objects.filter(user=user, program=slug)
        .prefetch_related("steps")
        .order_by("-started_at", "-pk")
    )


def step_get_for_member(*, user: Any, step_id: int) -> Step:
    """One of the member's own finished steps; 404 for anyone else's."""
    step = (
        Step.objects.select_related("enrolment")
        .annotate(ack_count=Count("acks"))
        .filter(pk=step_id, enrolment__user=user)
        .first()
    )
    if step is None:
        raise Http404
    return step


# --- Circles --------------------------------------------------------------------------


def _circle_member_ids(circle: Any, viewer: Any) -> set[int]:
    from kinwell.circles.models import Membership
    from kinwell.safety.selectors import blocked_ids_for

    active = set(
        Membership.objects.filter(circle=circle, status=Membership.Status.ACTIVE).values_list(
            "user_id", flat=True
        )
    )
    return active - blocked_ids_for(user=viewer)


def shared_step_for(*, viewer: Any, circle: Any, step_id: int) -> Step:
    """A reflection the viewer may read in this circle: its writer shares this program's
    progress with the circle and marked the reflection shared, the viewer shares too, and
    neither blocked the other. Anything else is 404. The viewer's own membership is the
    caller's to check (circle_get_for_member)."""
    step = (
        Step.objects.select_related("enrolment__user")
        .filter(pk=step_id, shared=True)
        .exclude(reflection="")
        .first()
    )
    if step is None:
        raise Http404
    writer_id = step.enrolment.user_id
    if writer_id not in _circle_member_ids(circle, viewer):
        raise Http404
    circle_program = CircleProgram.objects.filter(
        circle=circle, program=step.enrolment.program
    ).first()
    if circle_program is None:
        raise Http404
    sharing = set(
        ProgressShare.objects.filter(
            circle_program=circle_program, user_id__in=[writer_id, viewer.pk]
        ).values_list("user_id", flat=True)
    )
    if writer_id not in sharing or viewer.pk not in sharing:
        raise Http404
    return step


@dataclass
class BoardMember:
    user: Any
    enrolment: Enrolment | None
    days_done: int
    reflections: list[Step] = field(default_factory=list)
    is_viewer: bool = False


@dataclass
class BoardProgram:
    circle_program: CircleProgram
    program: Program
    viewer_shares: bool
    viewer_enrolment: Enrolment | None
    members: list[BoardMember] = field(default_factory=list)
    sharing_count: int = 0


@dataclass
class Board:
    circle: Any
    membership: Any
    is_facilitator: bool
    programs: list[BoardProgram]
    can_start: list[Program]


def circle_board(*, user: Any, circle_id: int) -> Board:
    """What the circle's programs page shows this member. Raises Http404 for anyone not in
    the circle and AgreementsNeeded when agreements are unread. Opted-in members see each
    other's days done and shared reflections; others see only how many share."""
    from kinwell.circles.models import Membership
    from kinwell.circles.selectors import circle_get_for_member

    circle, membership = circle_get_for_member(user=user, circle_id=circle_id)
    member_ids = _circle_member_ids(circle, user) | {user.pk}
    circle_programs = [
        cp for cp in CircleProgram.objects.filter(circle=circle) if get_program(cp.program)
    ]
    shares = list(
        ProgressShare.objects.filter(
            circle_program__in=circle_programs, user_id__in=member_ids
        ).select_related("user")
    )
    slugs = {cp.program for cp in circle_programs}
    sharer_ids = {s.user_id for s in shares}
    latest: dict[tuple[int, str], Any] = {}
    for enrolment in Enrolment.objects.filter(
        program__in=slugs, user_id__in=sharer_ids | {user.pk}
    ).annotate(n_steps=Count("steps")):
        key = (enrolment.user_id, enrolment.program)
        current = latest.get(key)
        if current is None or (enrolment.is_ongoing and not current.is_ongoing):
            latest[key] = enrolment
    mine = ReflectionAck.objects.filter(user=user, step=OuterRef("pk"))
    reflections: dict[int, list[Step]] = {}
    visible_enrolments = [e.pk for (uid, _), e in latest.items() if uid in sharer_ids]
    for step in (
        Step.objects.filter(enrolment_id__in=visible_enrolments, shared=True)
        .exclude(reflection="")
        .annotate(ack_count=Count("acks"), acked=Exists(mine))
        .order_by("day")
    ):
        reflections.setdefault(step.enrolment_id, []).append(step)

    board_programs = []
    for cp in circle_programs:
        program = get_program(cp.program)
        assert program is not None
        cp_shares = sorted(
            (s for s in shares if s.circle_program_id == cp.pk),
            key=lambda s: (s.user_id != user.pk, s.user.display_name.lower()),
        )
        viewer_shares = any(s.user_id == user.pk for s in cp_shares)
        entry = BoardProgram(
            circle_program=cp,
            program=program,
            viewer_shares=viewer_shares,
            viewer_enrolment=latest.get((user.pk, cp.program)),
            sharing_count=len(cp_shares),
        )
        if viewer_shares:
            for share in cp_shares:
                run = latest.get((share.user_id, cp.program))
                entry.members.append(
                    BoardMember(
                        user=share.user,
                        enrolment=run,
                        days_done=run.n_steps if run else 0,
                        reflections=reflections.get(run.pk, []) if run else [],
                        is_viewer=share.user_id == user.pk,
                    )
                )
        board_programs.append(entry)
    is_facilitator = membership.role == Membership.Role.FACILITATOR
    running = {cp.program for cp in circle_programs}
    can_start = (
        [p for slug, p in programs().items() if slug not in running] if is_facilitator else []
    )
    return Board(
        circle=circle,
        membership=membership,
        is_facilitator=is_facilitator,
        programs=board_programs,
        can_start=can_start,
    )


def circles_running(*, user: Any, slug: str) -> QuerySet[CircleProgram]:
    """The member's circles that run this program, for a link from the program page."""
    from kinwell.circles.models import Membership

    return CircleProgram.objects.filter(
        program=slug,
        circle__memberships__user=user,
        circle__memberships__status=Membership.Status.ACTIVE,
    ).select_related("circle")
