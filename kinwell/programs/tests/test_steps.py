"""A member's way through a program: enrol, today's step, one step per day of their own,
coming back after a gap, reflections kept private and screened."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from kinwell.accounts.tests.factories import UserFactory
from kinwell.checkins.services import member_today
from kinwell.programs import services
from kinwell.programs.models import Enrolment, Step
from kinwell.safety.models import Escalation

pytestmark = pytest.mark.django_db

TEN = "ten-days-of-reconnection"
SAFE = "safe-enough"


@pytest.fixture(autouse=True)
def _quiet_screen(screen_as):
    screen_as("none")


def enrol(client, slug=TEN):
    return client.post(reverse("programs:enrol", args=[slug]))


def finish(client, day, slug=TEN, **data):
    return client.post(reverse("programs:day", args=[slug, day]), {"reflection": "", **data})


def backdate(member, slug=TEN, days=1):
    """Move every finished step `days` into the past, as if time had passed."""
    for step in Step.objects.filter(enrolment__user=member, enrolment__program=slug):
        step.completed_on -= timedelta(days=days)
        step.save(update_fields=["completed_on"])


def page(response) -> str:
    return response.content.decode()


def test_programs_page_lists_every_program(member_client):
    html = page(member_client.get(reverse("programs:index")))
    assert "Ten days of reconnection" in html and "Safe enough" in html


def test_program_page_shows_intro_days_and_sources(member_client):
    html = page(member_client.get(reverse("programs:program", args=[TEN])))
    assert "<h2>Welcome</h2>" in html
    assert "Reaching out to one person" in html  # day 8 in the list of days
    assert 'id="ten-days-of-reconnection-intro-source-1"' in html
    assert "https://doi.org/10.1371/journal.pmed.1000316" in html
    assert "Start this program" in html


def test_unknown_program_is_404(member_client):
    assert member_client.get(reverse("programs:program", args=["no-such"])).status_code == 404
    assert enrol(member_client, "no-such").status_code == 404


def test_pages_need_sign_in(client):
    response = client.get(reverse("programs:index"))
    assert response.status_code == 302 and "sign-in" in response.url


def test_enrolling_opens_day_one(member_client, member):
    response = enrol(member_client)
    assert response.url == reverse("programs:today", args=[TEN])
    response = member_client.get(response.url)
    assert response.url == reverse("programs:day", args=[TEN, 1])
    html = page(member_client.get(response.url))
    assert "Noticing, and safety first" in html
    assert "5 things you can see" in html  # the grounding practice, as a plain form
    assert Enrolment.objects.get(user=member).status == "active"


def test_enrolling_twice_keeps_one_run_in_progress(member_client, member):
    enrol(member_client)
    enrol(member_client)
    assert Enrolment.objects.filter(user=member, program=TEN).count() == 1


def test_finishing_a_step_saves_the_reflection_and_says_come_back_tomorrow(member_client, member):
    enrol(member_client)
    response = finish(member_client, 1, reflection="I noticed I stay in a lot.")
    assert response.url == reverse("programs:today", args=[TEN])
    html = page(member_client.get(response.url))
    assert "Come back tomorrow" in html
    assert "Day 2 opens tomorrow — rest is part of it." in html
    step = Step.objects.get(enrolment__user=member)
    assert (step.day, step.reflection) == (1, "I noticed I stay in a lot.")
    assert step.completed_on == member_today(member)


def test_a_step_can_be_finished_without_words(member_client, member):
    enrol(member_client)
    finish(member_client, 1)
    assert Step.objects.get(enrolment__user=member).reflection == ""


def test_todays_step_is_the_first_day_not_done(member_client, member):
    enrol(member_client)
    finish(member_client, 1)
    backdate(member)
    assert member_client.get(reverse("programs:today", args=[TEN])).url == reverse(
        "programs:day", args=[TEN, 2]
    )


def test_a_second_step_on_the_same_day_waits_kindly_and_saves_nothing(member_client, member):
    enrol(member_client)
    finish(member_client, 1)
    html = page(member_client.get(reverse("programs:day", args=[TEN, 2])))
    assert "Day 2 opens tomorrow — rest is part of it." in html
    html = page(finish(member_client, 2, reflection="trying again"))
    assert "Day 2 opens tomorrow — rest is part of it." in html
    assert "trying again" in html  # handed back, not lost
    assert Step.objects.filter(enrolment__user=member).count() == 1


def test_the_day_turns_at_the_members_own_midnight(member, monkeypatch):
    member.time_zone = "Pacific/Auckland"
    member.save()
    enrolment, _ = services.enrolment_start(user=member, slug=TEN)
    # 22:00 on 1 May in Auckland (UTC+12).
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 5, 1, 10, tzinfo=UTC))
    services.step_complete(user=member, enrolment_id=enrolment.pk, day=1)
    # 23:30 in Auckland: still the same day there.
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: datetime(2026, 5, 1, 11, 30, tzinfo=UTC)
    )
    with pytest.raises(services.StepRefused) as refused:
        services.step_complete(user=member, enrolment_id=enrolment.pk, day=2)
    assert refused.value.reason == "rest"
    # 01:00 on 2 May in Auckland, though still 1 May in UTC: a new day for the member.
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 5, 1, 13, tzinfo=UTC))
    saved = services.step_complete(user=member, enrolment_id=enrolment.pk, day=2)
    assert str(saved.step.completed_on) == "2026-05-02"


def test_coming_back_after_a_gap_picks_up_where_you_left_off_without_blame(member_client, member):
    enrol(member_client)
    finish(member_client, 1)
    finish(member_client, 2)  # refused: same day
    backdate(member, days=12)
    response = member_client.get(reverse("programs:today", args=[TEN]), follow=True)
    html = page(response)
    assert response.redirect_chain[-1][0] == reverse("programs:day", args=[TEN, 2])
    assert "Welcome back. Pick up where you left off" in html
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    blame = re.findall(
        r"\b(streaks?|missed|fail(?:ed)?|behind|overdue|late|catch up)\b", main, re.I
    )
    assert not blame


def test_reflecting_twice_on_a_step_says_so_and_keeps_one_row(member_client, member):
    enrol(member_client)
    finish(member_client, 1, reflection="first words")
    backdate(member)
    response = finish(member_client, 1, reflection="second words")
    step = Step.objects.get(enrolment__user=member)
    assert response.url == reverse("programs:reflection", args=[step.pk])
    html = page(member_client.get(response.url))
    assert "You already finished day 1, and your reflection is saved." in html
    assert "first words" in html
    assert Step.objects.filter(enrolment__user=member).count() == 1
    assert step.reflection == "first words"


def test_the_service_refuses_a_second_reflection_too(member):
    enrolment, _ = services.enrolment_start(user=member, slug=TEN)
    services.step_complete(user=member, enrolment_id=enrolment.pk, day=1, reflection="one")
    with pytest.raises(services.StepRefused) as refused:
        services.step_complete(user=member, enrolment_id=enrolment.pk, day=1, reflection="two")
    assert refused.value.reason == "done"
    assert Step.objects.count() == 1


def test_skipping_ahead_by_url_points_back_to_the_next_day(member_client, member):
    enrol(member_client)
    finish(member_client, 1)
    backdate(member)
    response = member_client.get(reverse("programs:day", args=[TEN, 5]))
    assert response.url == reverse("programs:day", args=[TEN, 2])
    html = page(member_client.get(response.url))
    assert "Day 5 opens after day 2. Each day builds on the one before" in html
    response = finish(member_client, 5, reflection="jumping")
    assert response.url == reverse("programs:day", args=[TEN, 2])
    assert not Step.objects.filter(day=5).exists()


def test_another_members_reflection_is_404(member_client, other_member):
    enrolment, _ = services.enrolment_start(user=other_member, slug=TEN)
    saved = services.step_complete(
        user=other_member, enrolment_id=enrolment.pk, day=1, reflection="mine alone"
    )
    url = reverse("programs:reflection", args=[saved.step.pk])
    assert member_client.get(url).status_code == 404
    share = reverse("programs:reflection_share", args=[saved.step.pk])
    assert member_client.post(share, {"share": "1"}).status_code == 404
    owner = Client()
    owner.force_login(other_member)
    assert "mine alone" in page(owner.get(url))


def test_someone_elses_run_cannot_be_moved_on(member, other_member):
    enrolment, _ = services.enrolment_start(user=other_member, slug=TEN)
    with pytest.raises(services.PermissionDenied):
        services.step_complete(user=member, enrolment_id=enrolment.pk, day=1)
    assert not Step.objects.exists()


def test_a_worrying_reflection_is_saved_escalated_and_help_shown_at_once(
    member_client, member, screen_as
):
    screen_as("urgent")
    enrol(member_client)
    response = finish(member_client, 1, reflection="I don't want to be here any more")
    assert response.status_code == 200
    html = page(response)
    assert "You matter" in html and "Talk to someone now" in html
    assert "Come back tomorrow" in html
    step = Step.objects.get(enrolment__user=member)
    escalation = Escalation.objects.get(author=member)
    assert (escalation.source_type, escalation.source_id) == ("program_reflection", step.pk)


def test_a_concerning_reflection_shows_gentler_help(member_client, member, screen_as):
    screen_as("concern")
    enrol(member_client)
    html = page(finish(member_client, 1, reflection="so tired of everything"))
    assert "Thank you for writing this down" in html


def test_a_reflection_without_worry_is_not_escalated(member_client, member):
    enrol(member_client)
    finish(member_client, 1, reflection="a calm day")
    assert not Escalation.objects.exists()


def test_an_overlong_reflection_is_a_field_error_and_the_words_are_kept(member_client, member):
    enrol(member_client)
    words = "steady " * 400
    response = finish(member_client, 1, reflection=words)
    assert response.status_code == 200
    assert "Please keep your reflection to 2000 characters" in page(response)
    assert words.strip()[:80] in page(response)
    assert not Step.objects.exists()


def test_grounding_answers_are_kept_only_when_the_member_asks(member_client, member):
    enrol(member_client)
    finish(member_client, 1, see="lamp, window", taste="tea")
    assert Step.objects.get().practice_notes == {}
    Step.objects.all().delete()
    finish(member_client, 1, see="lamp, window", taste="tea", keep="on")
    assert Step.objects.get().practice_notes == {"see": "lamp, window", "taste": "tea"}


def test_the_narrative_is_saved_with_the_reflection_and_screened(member, screen_as):
    enrolment, _ = services.enrolment_start(user=member, slug=TEN)
    today = member_today(member)
    for n in range(1, 6):
        Step.objects.create(enrolment=enrolment, day=n, completed_on=today - timedelta(days=9 - n))
    screen_as("concern")
    saved = services.step_complete(
        user=member,
        enrolment_id=enrolment.pk,
        day=6,
        reflection="It felt different.",
        practice_notes={"story": "The year it all fell apart.", "retelling": "My sister came."},
    )
    assert saved.step.practice_notes == {
        "story": "The year it all fell apart.",
        "retelling": "My sister came.",
    }
    assert "My sister came." in Escalation.objects.get(author=member).text


@pytest.mark.parametrize(
    ("slug", "day", "expect"),
    [
        (
            TEN,
            3,
            [
                "data-breathing",
                'data-inhale="4"',
                'data-exhale="6"',
                "Breathe in for 4 seconds, breathe out for 6.",
            ],
        ),
        (TEN, 4, ["data-body-scan", "Notice your feet."]),
        (TEN, 6, ["Part 1: the story as it feels now", "Part 2: the story of how you got through"]),
        (TEN, 9, ["Your reply", "Feel with them", "Ask an open question"]),
        (SAFE, 5, ["Work on my safety plan", reverse("safety:plan")]),
    ],
)
def test_each_practice_is_there_as_plain_text_and_fields(member, slug, day, expect):
    enrolment, _ = services.enrolment_start(user=member, slug=slug)
    today = member_today(member)
    for n in range(1, day):
        Step.objects.create(enrolment=enrolment, day=n, completed_on=today - timedelta(days=20 - n))
    client = Client()
    client.force_login(member)
    html = page(client.get(reverse("programs:day", args=[slug, day])))
    for text in expect:
        assert text in html, text
    assert "kinwell/programs.js" in html and 'nonce="' in html


def test_reach_out_offers_the_members_people_and_logs_one_contact_on_the_map(member):
    from kinwell.network.models import Contact
    from kinwell.network.tests.helpers import add_person

    jo = add_person(member, "Jo")
    stranger = add_person(UserFactory(), "Not mine")
    enrolment, _ = services.enrolment_start(user=member, slug=TEN)
    today = member_today(member)
    for n in range(1, 8):
        Step.objects.create(enrolment=enrolment, day=n, completed_on=today - timedelta(days=20 - n))
    client = Client()
    client.force_login(member)
    html = page(client.get(reverse("programs:day", args=[TEN, 8])))
    assert reverse("network:index") in html and ">Jo<" in html and "Not mine" not in html
    url = reverse("programs:reach_out", args=[TEN, 8])
    response = client.post(url, {"person": stranger.pk}, follow=True)
    assert "Choose someone from your own map." in page(response)
    response = client.post(url, {"person": jo.pk}, follow=True)
    assert "you reached out to Jo today" in page(response)
    assert Contact.objects.get(person=jo).day == today
    assert not Contact.objects.filter(person=stranger).exists()


def test_a_finished_day_can_be_read_and_practised_again(member_client, member):
    enrol(member_client)
    finish(member_client, 1, reflection="first")
    html = page(member_client.get(reverse("programs:day", args=[TEN, 1])))
    assert "Read it and practise again as often as you like." in html
    assert "first" in html


def test_pausing_keeps_the_place_and_resuming_carries_on(member_client, member):
    enrol(member_client)
    finish(member_client, 1)
    member_client.post(reverse("programs:pause", args=[TEN]))
    assert Enrolment.objects.get().status == "paused"
    backdate(member)
    response = finish(member_client, 2)
    assert not Step.objects.filter(day=2).exists()
    assert response.url == reverse("programs:progress", args=[TEN])
    member_client.post(reverse("programs:resume", args=[TEN]))
    assert member_client.get(reverse("programs:today", args=[TEN])).url == reverse(
        "programs:day", args=[TEN, 2]
    )


def test_leaving_keeps_reflections_and_a_new_run_starts_at_day_one(member_client, member):
    enrol(member_client)
    finish(member_client, 1, reflection="kept for later")
    assert "Stop" in page(member_client.get(reverse("programs:leave", args=[TEN])))
    member_client.post(reverse("programs:leave", args=[TEN]))
    assert Enrolment.objects.get().status == "left"
    enrol(member_client)
    runs = Enrolment.objects.filter(user=member).order_by("pk")
    assert [r.status for r in runs] == ["left", "active"]
    html = page(member_client.get(reverse("programs:progress", args=[TEN])))
    assert "Earlier times you did this program" in html
    assert Step.objects.get().reflection == "kept for later"


def test_finishing_the_last_day_finishes_the_run_and_enrolling_again_starts_fresh(member):
    enrolment, _ = services.enrolment_start(user=member, slug=SAFE)
    today = member_today(member)
    for n in range(1, 7):
        Step.objects.create(enrolment=enrolment, day=n, completed_on=today - timedelta(days=10 - n))
    saved = services.step_complete(user=member, enrolment_id=enrolment.pk, day=7)
    assert saved.finished
    enrolment.refresh_from_db()
    assert enrolment.status == "finished" and enrolment.ended_at is not None
    again, started = services.enrolment_start(user=member, slug=SAFE)
    assert started and again.pk != enrolment.pk and not again.steps.exists()
    client = Client()
    client.force_login(member)
    html = page(client.get(reverse("programs:progress", args=[SAFE])))
    assert "You have done 0 of 7 days." in html


def test_progress_shows_days_done_and_reflections(member_client, member):
    enrol(member_client)
    finish(member_client, 1, reflection="Noticing the quiet.")
    html = page(member_client.get(reverse("programs:progress", args=[TEN])))
    assert "You have done 1 of 10 days." in html
    assert "Noticing the quiet." in html
    assert "streak" not in html.lower()


def test_overview_lists_in_two_queries(member_client, member, django_assert_max_num_queries):
    enrol(member_client)
    enrol(member_client, SAFE)
    with django_assert_max_num_queries(8):
        member_client.get(reverse("programs:index"))
