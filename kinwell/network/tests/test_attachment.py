"""ECR-RS per relationship: exact scoring, linked to the person, plain words."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kinwell.assessments.instruments import FOLDER, instruments
from kinwell.assessments.models import AssessmentResponse
from kinwell.assessments.scoring import score
from kinwell.assessments.services import response_submit
from kinwell.network.attachment import describe
from kinwell.network.tests.helpers import add_person


def ecr_rs(values: list[int]) -> dict:
    instrument = instruments()["ecr-rs"]
    return score(instrument, {str(n): v for n, v in enumerate(values, start=1)}).subscales


@pytest.mark.parametrize(
    ("raw", "avoidance", "anxiety"),
    [
        # Worked by hand: items 1-4 reversed as 8 - raw; avoidance = mean(1-6); anxiety =
        # mean(7-9); two decimals.
        ([7, 7, 7, 7, 1, 1, 1, 1, 1], 1.0, 1.0),  # (1+1+1+1+1+1)/6, (1+1+1)/3
        ([1, 1, 1, 1, 7, 7, 7, 7, 7], 7.0, 7.0),  # (7*6)/6, 21/3
        ([4] * 9, 4.0, 4.0),
        ([6, 5, 6, 7, 2, 3, 4, 2, 3], 2.17, 3.0),  # (2+3+2+1+2+3)/6 = 13/6; 9/3
        ([1, 2, 3, 4, 5, 6, 7, 1, 4], 5.5, 4.0),  # (7+6+5+4+5+6)/6 = 33/6; 12/3
        ([2, 2, 2, 2, 2, 2, 5, 6, 7], 4.67, 6.0),  # (6+6+6+6+2+2)/6 = 28/6; 18/3
        ([7, 7, 7, 7, 7, 7, 2, 2, 3], 3.0, 2.33),  # (1+1+1+1+7+7)/6 = 18/6; 7/3
    ],
)
def test_ecr_rs_scores_exactly_to_the_published_rule(raw, avoidance, anxiety):
    assert ecr_rs(raw) == {"avoidance": avoidance, "anxiety": anxiety}


def test_the_ecr_rs_file_carries_its_source_and_keys():
    data = json.loads((FOLDER / "ecr-rs.json").read_text())
    meta = data["kinwell"]
    assert len(data["item"]) == 9
    assert data["item"][0]["text"] == "It helps to turn to this person in times of need."
    assert "Fraley" in meta["citation"] and "615–625" in meta["citation"]
    assert "23(3)" in meta["citation"] and "2011" in meta["citation"]
    assert meta["scoring"]["reverse_keyed"] == ["1", "2", "3", "4"]
    assert meta["target"] == "person"
    assert meta["bands"] == [] and meta["scoring"]["total"]["method"] == "none"
    assert "reference/instruments.md" in meta["item_text_note"]


@pytest.mark.parametrize(
    ("avoidance", "anxiety", "fragment"),
    [
        (1.5, 2.0, "you feel fairly secure with Sam"),
        (4.0, 2.0, "feels easy at some times and harder at others"),
        (6.0, 2.0, "feels hard at the moment"),
        (2.0, 4.0, "you sometimes worry"),
        (2.0, 6.5, "you often worry"),
        (6.0, 6.0, "pulled towards someone and wary"),
    ],
)
def test_the_words_are_plain_and_never_a_style_label(avoidance, anxiety, fragment):
    text = describe("Sam", avoidance, anxiety)
    assert fragment in text
    for label in ("style", "avoidant", "preoccupied", "dismissing", "fearful", "disorder"):
        assert label not in text.lower()


@pytest.mark.django_db
def test_answers_about_a_person_are_linked_to_them_and_shown_in_plain_words(member_client, member):
    sam = add_person(member)
    person_page = reverse("network:person", args=[sam.pk])
    assert (
        "How do you feel in this relationship?" in member_client.get(person_page).content.decode()
    )
    form = member_client.get(reverse("network:person_attachment", args=[sam.pk]))
    assert "How do you feel with Sam?" in form.content.decode()
    answers = [6, 6, 6, 6, 2, 2, 2, 1, 2]  # avoidance 2.00, anxiety 1.67
    response = member_client.post(
        reverse("network:person_attachment", args=[sam.pk]),
        {f"q{n}": str(v) for n, v in enumerate(answers, start=1)},
    )
    assert response.url == person_page + "#feels"
    result = AssessmentResponse.objects.get(user=member)
    assert result.person == sam and result.instrument == "ecr-rs"
    assert result.subscales == {"avoidance": 2.0, "anxiety": 1.67}
    page = member_client.get(person_page).content.decode()
    assert "Your answers suggest you feel fairly secure with Sam" in page
    assert "<td>2.00</td><td>1.67</td>" in page
    map_page = member_client.get(reverse("network:index")).content.decode()
    assert "Your answers suggest you feel fairly secure with Sam" in map_page


@pytest.mark.django_db
def test_the_latest_two_results_show_with_the_earlier_for_comparison(member_client, member):
    sam = add_person(member)
    for values in ([4] * 9, [1, 1, 1, 1, 7, 7, 7, 7, 7], [7, 7, 7, 7, 1, 1, 1, 1, 1]):
        response_submit(
            user=member,
            instrument_id="ecr-rs",
            answers={str(n): v for n, v in enumerate(values, start=1)},
            person=sam,
        )
    page = member_client.get(reverse("network:person", args=[sam.pk])).content.decode()
    assert page.count("<td>1.00</td>") == 2 and page.count("<td>7.00</td>") == 2
    assert "<td>4.00</td>" not in page  # only the latest two
    assert "fairly secure with Sam" in page


@pytest.mark.django_db
def test_missing_answers_are_field_errors_and_nothing_is_saved(member_client, member):
    sam = add_person(member)
    response = member_client.post(
        reverse("network:person_attachment", args=[sam.pk]), {"q1": "4", "q2": "9"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "q2" in errors and "q3" in errors
    assert not AssessmentResponse.objects.exists()


@pytest.mark.django_db
def test_the_ecr_rs_is_only_taken_about_a_person(member_client, member, other_member):
    index = member_client.get(reverse("assessments:index")).content.decode()
    assert "ECR-RS" not in index
    response = member_client.get(reverse("assessments:take", args=["ecr-rs"]))
    assert response.url == reverse("network:index")
    with pytest.raises(ValidationError):
        response_submit(
            user=member, instrument_id="ecr-rs", answers={str(i): 4 for i in range(1, 10)}
        )
    theirs = add_person(other_member)
    with pytest.raises(PermissionDenied):
        response_submit(
            user=member,
            instrument_id="ecr-rs",
            answers={str(i): 4 for i in range(1, 10)},
            person=theirs,
        )
    assert not AssessmentResponse.objects.exists()


@pytest.mark.django_db
def test_posting_the_questions_with_no_answer_at_all_asks_for_them(member, member_client):
    # An empty POST left the form unbound and the view crashed with a 500 (found by fuzzing).
    person = add_person(member)
    response = member_client.post(reverse("network:person_attachment", args=[person.pk]), {})
    assert response.status_code == 200
    assert "Please choose an answer to this question." in response.content.decode()
    assert not AssessmentResponse.objects.filter(user=member).exists()
