from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kinwell.assessments.instruments import Instrument, get
from kinwell.assessments.models import AssessmentResponse, RetakeSchedule
from kinwell.assessments.scoring import Score, ScoringError, score
from kinwell.safety.services import escalation_open

STALE_DRAFT_DAYS = 14


class AlreadySubmitted(ValidationError):
    pass


def _instrument(instrument_id: str) -> Instrument:
    instrument = get(instrument_id)
    if instrument is None:
        raise ValidationError(f"There is no questionnaire called {instrument_id!r}.")
    return instrument


def _version(instrument: Instrument) -> str:
    return str(instrument.resource.get("version", "1"))


def _clean(instrument: Instrument, answers: dict[str, Any]) -> dict[str, int | None]:
    known = {i.link_id: i for i in instrument.items}
    cleaned: dict[str, int | None] = {}
    for link_id, value in answers.items():
        if link_id not in known:
            raise ValidationError(f"Unknown question {link_id}.")
        if value in (None, ""):
            cleaned[link_id] = None
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError(
                f"Question {link_id}: that answer is not one of the options."
            ) from None
        if number not in known[link_id].values:
            raise ValidationError(f"Question {link_id}: that answer is not one of the options.")
        cleaned[link_id] = number
    return cleaned


def draft_for(*, user: Any, instrument_id: str) -> AssessmentResponse | None:
    """The member's saved draft, unless it went stale (older than two weeks, or written for
    an earlier version of the questionnaire): then it is dropped, since answers about "the
    last two weeks" no longer describe them."""
    instrument = _instrument(instrument_id)
    draft = AssessmentResponse.objects.filter(
        user=user, instrument=instrument_id, status=AssessmentResponse.Status.DRAFT
    ).first()
    if draft is None:
        return None
    too_old = draft.updated_at < timezone.now() - timedelta(days=STALE_DRAFT_DAYS)
    if too_old or draft.instrument_version != _version(instrument):
        draft.delete()
        return None
    return draft


@transaction.atomic
def draft_save(*, user: Any, instrument_id: str, answers: dict[str, Any]) -> AssessmentResponse:
    """Pause: keep the answers given so far (any subset) to finish later."""
    instrument = _instrument(instrument_id)
    cleaned = _clean(instrument, answers)
    draft = draft_for(user=user, instrument_id=instrument_id)
    if draft is None:
        draft = AssessmentResponse(
            user=user, instrument=instrument_id, instrument_version=_version(instrument)
        )
    draft.answers = {k: v for k, v in cleaned.items() if v is not None}
    draft.save()
    return draft


@transaction.atomic
def response_submit(
    *,
    user: Any,
    instrument_id: str,
    answers: dict[str, Any],
    draft_id: int | None = None,
    person: Any = None,
) -> tuple[AssessmentResponse, Score]:
    """Score and store a complete set of answers once.

    A second submit of the same draft (double click, back button) raises AlreadySubmitted
    and stores nothing. A risk signal (PHQ-9 item 9, a positive ASQ) opens an escalation in
    the same transaction; the caller shows help in the same response. An instrument about
    one relationship (ECR-RS) needs `person`, one of the member's own map people.
    """
    instrument = _instrument(instrument_id)
    if instrument.per_person and person is None:
        raise ValidationError("Choose the person these answers are about.")
    if person is not None:
        if not instrument.per_person:
            raise ValidationError("This questionnaire is about you, not about one person.")
        if person.user_id != user.pk:
            raise PermissionDenied
    if draft_id:
        draft = (
            AssessmentResponse.objects.select_for_update()
            .filter(pk=draft_id, user=user, instrument=instrument_id)
            .first()
        )
        if draft is not None and draft.status == AssessmentResponse.Status.COMPLETE:
            raise AlreadySubmitted("You already sent these answers; your result is saved.")
    else:
        draft = None
    cleaned = _clean(instrument, answers)
    full = {item.link_id: cleaned.get(item.link_id) for item in instrument.items}
    try:
        result = score(instrument, full)
    except ScoringError as exc:
        raise ValidationError(str(exc)) from exc
    response = draft or AssessmentResponse(user=user, instrument=instrument_id, person=person)
    if draft is None:
        AssessmentResponse.objects.filter(
            user=user, instrument=instrument_id, status=AssessmentResponse.Status.DRAFT
        ).delete()
    response.instrument_version = _version(instrument)
    response.status = AssessmentResponse.Status.COMPLETE
    response.answers = {k: v for k, v in full.items() if v is not None}
    response.total = result.total
    response.subscales = result.subscales
    response.band = result.band or ""
    response.flags = list(result.flags)
    response.details = result.details
    response.completed_at = timezone.now()
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:
        raise AlreadySubmitted("You already sent these answers; your result is saved.") from None
    for schedule in RetakeSchedule.objects.filter(user=user, instrument=instrument_id):
        schedule.due_at = response.completed_at + timedelta(days=schedule.every_days)
        schedule.save(update_fields=["due_at"])
    if result.safety:
        escalation_open(
            author=user,
            level=result.safety,
            source_type="assessment",
            source_id=response.pk,
            reasons=[f"{instrument.short_name}: {flag}" for flag in result.flags],
            text=_summary(instrument, response),
        )
    return response, result


def _summary(instrument: Instrument, response: AssessmentResponse) -> str:
    lines = [f"{instrument.short_name} result: {response.band or 'scored'}"]
    for item in instrument.items:
        value = response.answers.get(item.link_id)
        if value is None:
            continue
        display = next((o.display for o in item.options if o.value == value), str(value))
        lines.append(f"{item.link_id}. {item.text} — {display}")
    return "\n".join(lines)


@transaction.atomic
def retake_schedule_set(*, user: Any, instrument_id: str, every_days: int | None) -> None:
    if _instrument(instrument_id).per_person:
        raise ValidationError("This questionnaire is taken from a person's page on your map.")
    if not every_days:
        RetakeSchedule.objects.filter(user=user, instrument=instrument_id).delete()
        return
    if not 7 <= every_days <= 90:
        raise ValidationError("Choose between 7 and 90 days.")
    last = (
        AssessmentResponse.objects.filter(
            user=user, instrument=instrument_id, status=AssessmentResponse.Status.COMPLETE
        )
        .order_by("-completed_at")
        .values_list("completed_at", flat=True)
        .first()
    )
    due_at = (last + timedelta(days=every_days)) if last else timezone.now()
    RetakeSchedule.objects.update_or_create(
        user=user,
        instrument=instrument_id,
        defaults={"every_days": every_days, "due_at": due_at},
    )
