"""FHIR R4 JSON: instrument definitions as Questionnaire, results as QuestionnaireResponse,
and a member's results as a collection Bundle in their data export."""

from typing import Any

from django.conf import settings

from kinwell.assessments.instruments import Instrument, get
from kinwell.assessments.models import AssessmentResponse


def questionnaire(instrument: Instrument) -> dict[str, Any]:
    # The "kinwell" block is ours, not FHIR: definitions served to other tools leave it out.
    return {k: v for k, v in instrument.resource.items() if k != "kinwell"}


def questionnaire_response(response: AssessmentResponse, base: str = "") -> dict[str, Any]:
    instrument = get(response.instrument)
    items = []
    if instrument is not None:
        for item in instrument.items:
            value = response.answers.get(item.link_id)
            if value is None:
                continue
            option = next((o for o in item.options if o.value == value), None)
            if option is None:
                continue
            items.append(
                {
                    "linkId": item.link_id,
                    "text": item.text,
                    "answer": [
                        {
                            "valueCoding": {
                                "system": option.system,
                                "code": option.code,
                                "display": option.display,
                            }
                        }
                    ],
                }
            )
    base = base or settings.SITE_URL
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.pk),
        "questionnaire": f"{base}/fhir/Questionnaire/{response.instrument}",
        "status": "completed",
        "authored": response.completed_at.isoformat() if response.completed_at else None,
        "item": items,
    }


def bundle_for(*, user: Any) -> dict[str, Any]:
    responses = AssessmentResponse.objects.filter(
        user=user, status=AssessmentResponse.Status.COMPLETE
    ).order_by("completed_at")
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": questionnaire_response(r)} for r in responses],
    }
