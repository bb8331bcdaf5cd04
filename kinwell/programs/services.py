"""Writes for guided programs. Every change to an enrolment, a step, a circle's program,
sharing or an "I see you" goes through here.

Pacing is the program's, not the member's burden: the next step is always the first day
not yet done, whenever the member comes back, and a run moves on at most one day per
calendar day of the member's own (their time zone), so rest is built in.
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from kinwell.checkins.services import member_today
from kinwell.core.services import notification_send
from kinwell.programs.content import Program, get_program
from kinwell.programs.models import (
    GROUNDING_MAX,
    REFLECTION_MAX,
    STORY_MAX,
    CircleProgram,
    Enrolment,
    ProgressShare,
    ReflectionAck,
    Step,
)
from kinwell.safety.services import SafetyOutcome, text_screen

GROUNDING_SENSES = ("see", "feel", "hear", "smell", "taste")


class StepRefused(ValidationError):
    """The step cannot be taken now; `reason` says why, so the page can say it kindly:
    done (already finished), ahead (an earlier day comes first), rest (a day was finished
    today already), paused or ended (the run is not in progress)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class StepSaved:
    step: Step
    outcome: SafetyOutcome
    # The member asked to share, but their words suggested they may be in crisis: the
    # reflection stays private until they choose, as urgent circle posts wait.
    held: bool = False
    finished: bool = False


def program_or_error(slug: str) -> Program:
    program = get_program(slug)
    if program is None:
        raise ValidationError("That program is not available.")
    return program


def _own_enrolment(user: Any, enrolment_id: int) -> Enrolment:
    enrolment = Enrolment.objects.select_for_update().filter(pk=enrolment_id, user=user).first()
    if enrolment is None:
        raise PermissionDenied("This is not one of your programs.")
    return enrolment


# --- Enrolment ------------------------------------------------------------------------


@transaction.atomic
def enrolment_start(*, user: Any, slug: str) -> tuple[Enrolment, bool]:
    """Start a program, or carry on with the run already under way (resuming it if it was
    paused). Returns (enrolment, started): one run in progress per program at a time;
    after finishing or stopping, starting again begins a fresh run."""
    program_or_error(slug)
    ongoing = (
        Enrolment.objects.select_for_update()
        .filter(user=user, program=slug, status__in=Enrolment.ONGOING)
        .first()
    )
    if ongoing is not None:
        if ongoing.status == Enrolment.Status.PAUSED:
            ongoing.status = Enrolment.Status.ACTIVE
            ongoing.paused_at = None
            ongoing.save(update_fields=["status", "paused_at"])
        return ongoing, False
    try:
        with transaction.atomic():
            return Enrolment.objects.create(user=user, program=slug), True
    except IntegrityError:
        # A double tap raced this one and won.
        return Enrolment.objects.get(user=user, program=slug, status__in=Enrolment.ONGOING), False


@transaction.atomic
def enrolment_pause(*, user: Any, enrolment_id: int) -> Enrolment:
    enrolment = _own_enrolment(user, enrolment_id)
    if enrolment.status == Enrolment.Status.ACTIVE:
        enrolment.status = Enrolment.Status.PAUSED
        enrolment.paused_at = timezone.now()
        enrolment.save(update_fields=["status", "paused_at"])
    return enrolment


@transaction.atomic
def enrolment_resume(*, user: Any, enrolment_id: int) -> Enrolment:
    enrolment = _own_enrolment(user, enrolment_id)
    if enrolment.status == Enrolment.Status.PAUSED:
        enrolment.status = Enrolment.Status.ACTIVE
        enrolment.paused_at = None
        enrolment.save(update_fields=["status", "paused_at"])
    return enrolment


@transaction.atomic
def enrolment_leave(*, user: Any, enrolment_id: int) -> Enrolment:
    """Stop a run. Its steps and reflections stay in the member's history (and go with
    their account if they delete it); they can start the program again any time."""
    enrolment = _own_enrolment(user, enrolment_id)
    if enrolment.is_ongoing:
        enrolment.status = Enrolment.Status.LEFT
        enrolment.ended_at = timezone.now()
        enrolment.save(update_fields=["status", "ended_at"])
    return enrolment


# --- Steps ----------------------------------------------------------------------------


def next_day_number(done: set[int], program: Program) -> int | None:
    """The first day not yet done, or None when every day is."""
    return next((n for n in range(1, program.days + 1) if n not in done), None)


def _clean_notes(practice: str, notes: dict[str, Any] | None) -> dict[str, Any]:
    """Keep only the practice notes that belong to the day's practice, trimmed."""
    notes = notes or {}
    kept: dict[str, Any] = {}
    if practice == "narrative":
        for key in ("story", "retelling"):
            text = (notes.get(key) or "").strip()
            if len(text) > STORY_MAX:
                message = f"Please keep your {key} to {STORY_MAX} characters (it has {len(text)})."
                raise ValidationError({key: message})
            if text:
                kept[key] = text
    elif practice == "grounding" and notes.get("keep"):
        for sense in GROUNDING_SENSES:
            text = (notes.get(sense) or "").strip()[:GROUNDING_MAX]
            if text:
                kept[sense] = text
    return kept


def _words(reflection: str, notes: dict[str, Any]) -> str:
    return "\n\n".join(part for part in (reflection, *notes.values()) if part)


@transaction.atomic
def step_complete(
    *,
    user: Any,
    enrolment_id: int,
    day: int,
    reflection: str = "",
    practice_notes: dict[str, Any] | None = None,
    share: bool = False,
) -> StepSaved:
    """Finish the next day of a run, with an optional reflection (screened for safety in
    this transaction; the writer is shown help in the same response when it signals
    concern). Refuses, with a StepRefused saying why, a day already done, a day ahead of
    the next one, and a second day on the same calendar day of the member's own."""
    enrolment = _own_enrolment(user, enrolment_id)
    program = program_or_error(enrolment.program)
    if enrolment.status == Enrolment.Status.PAUSED:
        raise StepRefused(
            "This program is paused. Resume it whenever you are ready, and carry on from here.",
            reason="paused",
        )
    if not enrolment.is_ongoing:
        raise StepRefused(
            "This run of the program has ended. You can start it again from the program page.",
            reason="ended",
        )
    if program.day(day) is None:
        raise StepRefused(f"This program has no day {day}.", reason="ahead")
    steps = list(enrolment.steps.values_list("day", "completed_on"))
    done = {number for number, _ in steps}
    if day in done:
        raise StepRefused(
            f"You already finished day {day}, and your reflection is saved. "
            "You can read it on your progress page.",
            reason="done",
        )
    next_day = next_day_number(done, program)
    if next_day is not None and day > next_day:
        raise StepRefused(
            f"Day {day} opens after day {next_day}. Each day builds on the one before, "
            f"so let's start with day {next_day}.",
            reason="ahead",
        )
    today = member_today(user)
    if any(on == today for _, on in steps):
        raise StepRefused(
            f"Day {day} opens tomorrow. Rest is part of it.",
            reason="rest",
        )
    reflection = (reflection or "").strip()
    if len(reflection) > REFLECTION_MAX:
        raise ValidationError(
            {
                "reflection": f"Please keep your reflection to {REFLECTION_MAX} characters "
                f"(it has {len(reflection)})."
            }
        )
    notes = _clean_notes(program.day(day).practice, practice_notes)  # type: ignore[union-attr]
    try:
        with transaction.atomic():
            step = Step.objects.create(
                enrolment=enrolment,
                day=day,
                completed_on=today,
                reflection=reflection,
                practice_notes=notes,
                shared=bool(share and reflection),
            )
    except IntegrityError:
        raise StepRefused(
            f"You already finished day {day}, and your reflection is saved.", reason="done"
        ) from None
    finished = len(done) + 1 >= program.days
    if finished:
        enrolment.status = Enrolment.Status.FINISHED
        enrolment.ended_at = timezone.now()
        enrolment.save(update_fields=["status", "ended_at"])
    outcome = SafetyOutcome(level="none")
    words = _words(reflection, notes)
    held = False
    if words:
        outcome = text_screen(
            author=user, text=words, source_type="program_reflection", source_id=step.pk
        )
        if outcome.level == "urgent" and step.shared:
            step.shared = False
            step.save(update_fields=["shared"])
            held = True
    return StepSaved(step=step, outcome=outcome, held=held, finished=finished)


@transaction.atomic
def step_share_set(*, user: Any, step_id: int, shared: bool) -> Step:
    """Share a reflection with the circles where the member shares this program, or take
    it back. Only reflections with words in them can be shared."""
    step = Step.objects.select_for_update().filter(pk=step_id, enrolment__user=user).first()
    if step is None:
        raise PermissionDenied("This is not one of your reflections.")
    if shared and not step.reflection:
        raise ValidationError("There are no words in this reflection to share.")
    if step.shared != shared:
        step.shared = shared
        step.save(update_fields=["shared"])
    return step


# --- Circles --------------------------------------------------------------------------


def _circle_for(user: Any, circle_id: int) -> tuple[Any, Any]:
    # Raises Http404 for anyone not in the circle, AgreementsNeeded when they are unread.
    from kinwell.circles.selectors import circle_get_for_member

    return circle_get_for_member(user=user, circle_id=circle_id)


@transaction.atomic
def circle_program_start(*, actor: Any, circle_id: int, slug: str) -> CircleProgram:
    """A facilitator starts a program for their circle; members are told and can join in
    at their own pace, and share their progress with the circle if they want to."""
    from kinwell.circles.models import Membership

    circle, membership = _circle_for(actor, circle_id)
    if membership.role != Membership.Role.FACILITATOR:
        raise PermissionDenied("Only this circle's facilitator can start a program for it.")
    program = program_or_error(slug)
    if CircleProgram.objects.filter(circle=circle, program=slug).exists():
        raise ValidationError(f"{program.title} is already running in this circle.")
    circle_program = CircleProgram.objects.create(circle=circle, program=slug)
    url = reverse("programs:circle", args=[circle.pk])
    for member in (
        Membership.objects.filter(circle=circle, status=Membership.Status.ACTIVE)
        .exclude(user=actor)
        .select_related("user")
    ):
        notification_send(
            user=member.user,
            title=f"{circle.name} is doing {program.title}",
            body="Join in at your own pace. Sharing your progress with the circle is up to you.",
            url=url,
        )
    return circle_program


@transaction.atomic
def circle_program_end(*, actor: Any, circle_id: int, circle_program_id: int) -> None:
    """A facilitator ends a program for their circle: sharing in the circle stops; every
    member keeps their own run and reflections, and can carry on alone."""
    from kinwell.circles.models import Membership

    circle, membership = _circle_for(actor, circle_id)
    if membership.role != Membership.Role.FACILITATOR:
        raise PermissionDenied("Only this circle's facilitator can end a program for it.")
    _circle_program(circle, circle_program_id).delete()


def _circle_program(circle: Any, circle_program_id: int) -> CircleProgram:
    circle_program = CircleProgram.objects.filter(pk=circle_program_id, circle=circle).first()
    if circle_program is None:
        raise ValidationError("That program is not running in this circle.")
    return circle_program


@transaction.atomic
def progress_share_set(*, user: Any, circle_id: int, circle_program_id: int, share: bool) -> bool:
    """Opt in to (or out of) sharing one's progress in a circle's program. Returns whether
    the member now shares. Only reflections they mark as shared are ever shown."""
    circle, _membership = _circle_for(user, circle_id)
    circle_program = _circle_program(circle, circle_program_id)
    if share:
        ProgressShare.objects.get_or_create(user=user, circle_program=circle_program)
    else:
        ProgressShare.objects.filter(user=user, circle_program=circle_program).delete()
    return share


@transaction.atomic
def reflection_ack(*, user: Any, circle_id: int, step_id: int) -> tuple[ReflectionAck, bool]:
    """ "I see you" on a reflection shared with the circle; once per person per reflection.
    The writer is told. Returns (ack, created)."""
    from kinwell.programs.selectors import shared_step_for

    circle, _membership = _circle_for(user, circle_id)
    step = shared_step_for(viewer=user, circle=circle, step_id=step_id)
    if step.enrolment.user_id == user.pk:
        raise ValidationError("This is your own reflection.")
    existing = ReflectionAck.objects.filter(user=user, step=step).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            ack = ReflectionAck.objects.create(user=user, step=step)
    except IntegrityError:
        return ReflectionAck.objects.get(user=user, step=step), False
    program = get_program(step.enrolment.program)
    notification_send(
        user=step.enrolment.user,
        title=f"{user.display_name} sees you",
        body=f"Someone in {circle.name} read your reflection on day {step.day}"
        + (f" of {program.title}." if program else "."),
        url=reverse("programs:reflection", args=[step.pk]),
    )
    return ack, True
