from datetime import date, timedelta

import pytest
from django.urls import reverse

from kinwell.checkins.insights import weekly_reflection
from kinwell.checkins.models import CheckIn
from kinwell.network.models import Contact
from kinwell.network.tests.helpers import add_person

pytestmark = pytest.mark.django_db

END = date(2026, 11, 22)


def day(user, days_ago, level, window="inside"):
    return CheckIn.objects.create(
        user=user,
        day=END - timedelta(days=days_ago),
        seen=level,
        safe=level,
        soothed=level,
        secure=level,
        stable=level,
        window=window,
        mood=3,
    )


def test_what_went_up_and_down_with_counts(member):
    for ago in (8, 9, 10):
        day(member, ago, 1)
    for ago in (0, 1, 2, 3):
        day(member, ago, 3)
    CheckIn.objects.filter(user=member, day=END).update(safe=0)
    week = weekly_reflection(user=member, end=END)
    assert week["count"] == 4 and week["count_before"] == 3
    seen = next(c for c in week["changes"] if c["label"] == "Seen")
    assert (seen["then"], seen["now"], seen["direction"]) == (1.0, 3.0, "up")
    safe = next(c for c in week["changes"] if c["label"] == "Safe")
    assert safe["now"] == 2.2  # (0 + 3 + 3 + 3) / 4, rounded to one place
    assert not week["few"]
    assert week["went_down"] == []


def test_few_check_ins_are_called_uncertain(member):
    day(member, 0, 2)
    day(member, 8, 3)
    week = weekly_reflection(user=member, end=END)
    assert week["few"]
    assert week["went_down"][0]["label"] == "Seen"


def test_people_who_went_with_better_days_need_enough_days_both_ways(member):
    sam = add_person(member, "Sam")
    jo = add_person(member, "Jo")
    for ago, level in [(1, 4), (3, 4), (5, 1), (7, 1), (9, 2)]:
        checkin = day(member, ago, level)
        if level == 4:
            Contact.objects.create(person=sam, day=checkin.day)
    Contact.objects.create(person=jo, day=END - timedelta(days=5))
    week = weekly_reflection(user=member, end=END)
    (row,) = week["people"]  # Jo has only one day: not enough to compare
    assert row["alias"] == "Sam"
    assert (row["with"], row["with_n"], row["without"], row["without_n"]) == (4.0, 2, 1.3, 3)


def test_another_members_contacts_never_count(member, other_member):
    theirs = add_person(other_member, "Theirs")
    for ago in (1, 2, 3, 4):
        checkin = day(member, ago, ago)
        Contact.objects.create(person=theirs, day=checkin.day)
    assert weekly_reflection(user=member, end=END)["people"] == []


def test_week_page_renders_and_never_mentions_streaks(member, member_client):
    day(member, 0, 2)
    response = member_client.get(reverse("checkins:week"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "streak" not in text.lower()
    assert member_client.get(reverse("checkins:week") + "?weeks_ago=99").status_code == 200
    assert member_client.get(reverse("checkins:week") + "?weeks_ago=x").status_code == 200


@pytest.mark.parametrize(
    "url", ["/checkin/week/", "/checkin/history/", "/checkin/insights/?days=90", "/home/"]
)
def test_check_in_pages_ask_the_same_number_of_questions_with_more_data(
    member, member_client, url, django_assert_max_num_queries
):
    from kinwell.accounts.tests.factories import UserFactory
    from kinwell.checkins.services import member_today

    today = member_today(member)
    sam = add_person(member, "Sam")
    for ago in range(3):
        CheckIn.objects.create(user=member, day=today - timedelta(days=ago), seen=2, safe=2,
                               soothed=2, secure=2, stable=2, window="inside", mood=3)  # fmt: skip
    member_client.get(url)
    with django_assert_max_num_queries(30) as few:
        member_client.get(url)
    baseline = len(few.captured_queries)
    other = UserFactory()
    for ago in range(3, 80):
        checkin = CheckIn.objects.create(
            user=member, day=today - timedelta(days=ago), seen=ago % 5, safe=2, soothed=2,
            secure=2, stable=2, window="inside", mood=3,
        )  # fmt: skip
        Contact.objects.create(person=sam, day=checkin.day, checkin=checkin)
        CheckIn.objects.create(user=other, day=today - timedelta(days=ago), seen=1, safe=1,
                               soothed=1, secure=1, stable=1, window="below", mood=2)  # fmt: skip
    with django_assert_max_num_queries(baseline):
        member_client.get(url)


def test_insights_give_chart_data_and_the_numbers_as_a_table(member, member_client):
    import json

    from kinwell.checkins.services import member_today

    today = member_today(member)
    for ago, level in ((0, 3), (1, 1)):
        CheckIn.objects.create(user=member, day=today - timedelta(days=ago), seen=level, safe=2,
                               soothed=2, secure=2, stable=2, window="above", mood=3)  # fmt: skip
    text = member_client.get("/checkin/insights/?days=7").content.decode()
    raw = text.split('id="insights-data" type="application/json">')[1].split("</script>")[0]
    data = json.loads(raw)
    assert [line["label"] for line in data["lines"]] == [
        "Seen",
        "Safe",
        "Soothed",
        "Secure",
        "Stable",
    ]
    assert data["lines"][0]["values"] == [1, 3]
    assert data["window"]["counts"][2] == 2
    assert "The numbers behind the charts" in text
    assert "chart.umd.min" in text


def test_time_with_a_circle_counts_as_a_connection(member, member_client):
    from kinwell.circles.models import CircleConnection
    from kinwell.circles.tests.factories import make_circle

    circle = make_circle(members=[member], name="Harbour")
    for ago, level in [(1, 4), (2, 4), (3, 1), (4, 1)]:
        checkin = day(member, ago, level)
        if level == 4:
            CircleConnection.objects.create(checkin=checkin, circle=circle)
    (row,) = weekly_reflection(user=member, end=END)["people"]
    assert row["alias"] == "Your circle (Harbour)"
    assert (row["with"], row["without"]) == (4.0, 1.0)


def test_check_in_notes_the_circle_and_refuses_someone_elses(member, member_client):
    from kinwell.circles.models import CircleConnection
    from kinwell.circles.tests.factories import make_circle

    mine = make_circle(members=[member], name="Harbour")
    theirs = make_circle(name="Willow")
    answers = {"seen": 2, "safe": 2, "soothed": 2, "secure": 2, "stable": 2, "window": "inside",
               "mood": 3}  # fmt: skip
    response = member_client.post("/checkin/", {**answers, "connected_circles": [theirs.pk]})
    assert response.status_code == 200
    assert not CheckIn.objects.exists()
    member_client.post("/checkin/", {**answers, "connected_circles": [mine.pk]})
    assert CircleConnection.objects.get().circle == mine
