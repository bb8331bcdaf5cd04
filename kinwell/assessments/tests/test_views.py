import json

import pytest
from django.urls import reverse

from kinwell.assessments.models import AssessmentResponse
from kinwell.safety.models import Escalation

pytestmark = pytest.mark.django_db


def phq9(values):
    return {f"q{i}": str(v) for i, v in enumerate(values, start=1)}


def test_take_phq9_and_see_an_explained_result(member_client, member):
    response = member_client.post(reverse("assessments:take", args=["phq9"]), phq9([1] * 8 + [0]))
    result = AssessmentResponse.objects.get(user=member)
    assert response.url == reverse("assessments:result", args=[result.pk])
    assert (result.total, result.band, result.status) == (8, "mild", "complete")
    page = member_client.get(response.url).content.decode()
    assert "Score: 8" in page and "What this cannot tell" in page
    import re

    assert not re.search(r"\byou have (mild|moderate|severe|major|ptsd|an? )", page.lower())


def test_a_skipped_required_item_is_a_clear_message_and_nothing_is_stored(member_client):
    data = phq9([1] * 9)
    data.pop("q4")
    response = member_client.post(reverse("assessments:take", args=["phq9"]), data)
    assert response.status_code == 200
    assert "Please choose an answer" in response.content.decode()
    assert not AssessmentResponse.objects.exists()


def test_a_tampered_option_value_is_refused(member_client):
    response = member_client.post(reverse("assessments:take", args=["phq9"]), phq9([1] * 8 + [7]))
    assert response.status_code == 200
    assert "not one of the options" in response.content.decode()
    assert not AssessmentResponse.objects.exists()


def test_pause_and_resume_a_draft(member_client, member):
    member_client.post(
        reverse("assessments:take", args=["phq9"]), {"q1": "2", "q2": "1", "action": "save"}
    )
    draft = AssessmentResponse.objects.get(user=member, status="draft")
    assert draft.answers == {"1": 2, "2": 1}
    page = member_client.get(reverse("assessments:take", args=["phq9"])).content.decode()
    assert "picking up where you left off" in page
    assert 'name="q1" value="2"' in page.replace("\n", " ") and "checked" in page


def test_double_submit_stores_one_result(member_client, member):
    member_client.post(reverse("assessments:take", args=["phq9"]), {"q1": "1", "action": "save"})
    draft = AssessmentResponse.objects.get(user=member, status="draft")
    data = {**phq9([1] * 9), "draft_id": str(draft.pk)}
    member_client.post(reverse("assessments:take", args=["phq9"]), data)
    again = member_client.post(reverse("assessments:take", args=["phq9"]), data, follow=True)
    assert "already sent these answers" in again.content.decode()
    assert AssessmentResponse.objects.filter(user=member).count() == 1


def test_a_stale_draft_is_dropped(member_client, member):
    from datetime import timedelta

    from django.utils import timezone

    member_client.post(reverse("assessments:take", args=["phq9"]), {"q1": "3", "action": "save"})
    AssessmentResponse.objects.filter(user=member).update(
        updated_at=timezone.now() - timedelta(days=30)
    )
    page = member_client.get(reverse("assessments:take", args=["phq9"])).content.decode()
    assert "picking up where you left off" not in page
    assert not AssessmentResponse.objects.filter(user=member).exists()


def test_item_9_opens_the_safety_flow_in_the_same_response(member_client, member):
    response = member_client.post(reverse("assessments:take", args=["phq9"]), phq9([0] * 8 + [2]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Talk to someone now" in html and "safety plan" in html.lower()
    escalation = Escalation.objects.get(author=member)
    assert escalation.source_type == "assessment" and escalation.level in ("concern", "urgent")


def test_acute_positive_asq_is_urgent(member_client, member):
    response = member_client.post(
        reverse("assessments:take", args=["asq"]),
        {"q1": "1", "q2": "0", "q3": "1", "q4": "0", "q5": "1"},
    )
    assert "You matter" in response.content.decode()
    assert Escalation.objects.get(author=member).level == "urgent"


def test_negative_asq_ignores_a_stray_acuity_answer(member_client, member):
    member_client.post(
        reverse("assessments:take", args=["asq"]),
        {"q1": "0", "q2": "0", "q3": "0", "q4": "0", "q5": "1"},
    )
    result = AssessmentResponse.objects.get(user=member)
    assert result.band == "negative" and "5" not in result.answers
    assert not Escalation.objects.exists()


def test_nobody_can_open_another_members_result(member_client, other_member):
    theirs = AssessmentResponse.objects.create(
        user=other_member,
        instrument="phq9",
        instrument_version="1",
        status="complete",
        answers={str(i): 0 for i in range(1, 10)},
        total=0,
        band="minimal",
    )
    assert member_client.get(reverse("assessments:result", args=[theirs.pk])).status_code == 404
    assert (
        member_client.get(reverse("assessments:fhir_response", args=[theirs.pk])).status_code == 404
    )


def test_history_shows_chart_table_and_reliable_change(member_client, member):
    for values in ([4] * 20, [1] * 20):
        member_client.post(
            reverse("assessments:take", args=["pcl5"]),
            {f"q{i}": str(v) for i, v in enumerate(values, 1)},
        )
    page = member_client.get(reverse("assessments:history", args=["pcl5"])).content.decode()
    assert "<svg" in page and "<table" in page
    assert "improved" in page


def test_ecr_r_history_is_a_plane_with_a_trail(member_client):
    member_client.post(
        reverse("assessments:take", args=["ecr-r"]), {f"q{i}": "4" for i in range(1, 37)}
    )
    page = member_client.get(reverse("assessments:history", args=["ecr-r"])).content.decode()
    assert "more avoidance" in page and "anxiety 4.0" in page


def test_retake_reminder_shows_on_home_when_due(member_client, member):
    member_client.post(reverse("assessments:schedule", args=["gad7"]), {"every_days": "14"})
    home = member_client.get(reverse("core:home")).content.decode()
    assert "Due now" in home and "GAD-7" in home


def test_fhir_questionnaire_and_response_and_export_bundle(client, member_client, member):
    definition = client.get(reverse("assessments:fhir_questionnaire", args=["phq9"]))
    data = json.loads(definition.content)
    assert data["resourceType"] == "Questionnaire" and "kinwell" not in data
    assert len(data["item"]) == 9
    member_client.post(reverse("assessments:take", args=["phq9"]), phq9([1] * 8 + [0]))
    result = AssessmentResponse.objects.get(user=member)
    qr = json.loads(
        member_client.get(reverse("assessments:fhir_response", args=[result.pk])).content
    )
    assert qr["resourceType"] == "QuestionnaireResponse" and qr["status"] == "completed"
    assert len(qr["item"]) == 9 and qr["item"][0]["answer"][0]["valueCoding"]["code"]
    export = json.loads(member_client.get(reverse("accounts:export")).content)
    bundle = export["attachments"]["fhir_questionnaire_responses"]
    assert bundle["resourceType"] == "Bundle" and len(bundle["entry"]) == 1


def test_fhir_json_validates_against_the_r4_models(member_client, member):
    """fhir.resources (R4B models, structurally the same as R4 for these resources)."""
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.questionnaire import Questionnaire
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    from kinwell.assessments.fhir import questionnaire
    from kinwell.assessments.instruments import instruments

    for instrument in instruments().values():
        Questionnaire.model_validate(questionnaire(instrument))
    member_client.post(
        reverse("assessments:take", args=["gad7"]), {f"q{i}": "1" for i in range(1, 8)}
    )
    result = AssessmentResponse.objects.get(user=member)
    QuestionnaireResponse.model_validate(
        json.loads(
            member_client.get(reverse("assessments:fhir_response", args=[result.pk])).content
        )
    )
    export = json.loads(member_client.get(reverse("accounts:export")).content)
    Bundle.model_validate(export["attachments"]["fhir_questionnaire_responses"])


def test_taking_a_due_questionnaire_moves_its_reminder_forward(member_client, member):
    member_client.post(reverse("assessments:schedule", args=["gad7"]), {"every_days": "14"})
    member_client.post(
        reverse("assessments:take", args=["gad7"]), {f"q{i}": "0" for i in range(1, 8)}
    )
    home = member_client.get(reverse("core:home")).content.decode()
    assert "Due now" not in home
    schedule = member.retake_schedules.get()
    result = AssessmentResponse.objects.get(user=member)
    assert (schedule.due_at - result.completed_at).days == 14
