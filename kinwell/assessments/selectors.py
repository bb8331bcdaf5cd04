from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from kinwell.assessments.instruments import get, instruments
from kinwell.assessments.models import AssessmentResponse, RetakeSchedule


def response_get_for_member(*, user: Any, response_id: int) -> AssessmentResponse:
    """A member's own completed result; anyone else's is a 404."""
    response = AssessmentResponse.objects.filter(
        pk=response_id, user=user, status=AssessmentResponse.Status.COMPLETE
    ).first()
    if response is None:
        raise Http404("No such result.")
    return response


def history_for(*, user: Any, instrument_id: str) -> QuerySet[AssessmentResponse]:
    return AssessmentResponse.objects.filter(
        user=user, instrument=instrument_id, status=AssessmentResponse.Status.COMPLETE
    ).order_by("completed_at")


def latest_by_instrument(*, user: Any) -> dict[str, AssessmentResponse]:
    latest: dict[str, AssessmentResponse] = {}
    for response in AssessmentResponse.objects.filter(
        user=user, status=AssessmentResponse.Status.COMPLETE
    ).order_by("completed_at"):
        latest[response.instrument] = response
    return latest


def due_retakes(*, user: Any) -> list[dict[str, Any]]:
    """Questionnaires whose re-take rhythm has come round, for the home page."""
    schedules = list(RetakeSchedule.objects.filter(user=user))
    if not schedules:
        return []
    latest = latest_by_instrument(user=user)
    due = []
    now = timezone.now()
    for schedule in schedules:
        instrument = get(schedule.instrument)
        last = latest.get(schedule.instrument)
        if instrument is None:
            continue
        done = last.completed_at if last is not None else None
        if done is None or done + timedelta(days=schedule.every_days) <= now:
            due.append({"instrument": instrument, "last": last})
    return due


def all_instruments() -> list[Any]:
    order = ["phq9", "gad7", "pcl5", "asq", "mspss", "ucla3", "ecr-r", "brs"]
    found = instruments()
    return [found[i] for i in order if i in found] + [
        v for k, v in sorted(found.items()) if k not in order
    ]
