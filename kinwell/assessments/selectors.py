from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from kinwell.assessments.instruments import get, instruments
from kinwell.assessments.models import AssessmentResponse, RetakeSchedule
from kinwell.core.context_processors import reverse_slug


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
    due = []
    for schedule in RetakeSchedule.objects.filter(user=user, due_at__lte=timezone.now()):
        instrument = get(schedule.instrument)
        if instrument is not None:
            due.append(
                {
                    "instrument": instrument,
                    "schedule": schedule,
                    "url": reverse_slug("assessments:take", instrument.id),
                }
            )
    return due


def all_instruments() -> list[Any]:
    order = ["phq9", "gad7", "pcl5", "asq", "mspss", "ucla3", "ecr-r", "brs"]
    # Questionnaires about one relationship are taken from that person's page on the map.
    found = {k: v for k, v in instruments().items() if not v.per_person}
    return [found[i] for i in order if i in found] + [
        v for k, v in sorted(found.items()) if k not in order
    ]
