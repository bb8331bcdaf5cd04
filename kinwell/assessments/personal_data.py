from kinwell.assessments.models import AssessmentResponse, RetakeSchedule
from kinwell.core.privacy import DataCategory, register, register_attachment


def _fhir_bundle(user: object) -> object:
    from kinwell.assessments.fhir import bundle_for

    return bundle_for(user=user)


register_attachment("fhir_questionnaire_responses", _fhir_bundle)

register(
    DataCategory(
        key="assessments.responses",
        model=AssessmentResponse,
        owner="user",
        title="Questionnaire answers and scores",
        purpose="So you can see your results and how they change over time.",
        visible_to="Only you, and a clinician only if you choose to share with them. A result "
        "that signals risk is also seen by a moderator, and that is written to your access log.",
    )
)
register(
    DataCategory(
        key="assessments.schedules",
        model=RetakeSchedule,
        owner="user",
        title="Questionnaire reminders",
        purpose="So due questionnaires show on your home page.",
        visible_to="Only you.",
    )
)
