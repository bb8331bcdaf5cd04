"""Feedback service and endpoint, the member's on/off choice, and the practice page."""

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from kinwell.accounts.tests.factories import UserFactory
from kinwell.coach import services, views
from kinwell.coach.models import CoachPreference
from kinwell.coach.practice import practice_posts
from kinwell.coach.selectors import coach_enabled_for
from kinwell.coach.services import (
    ALL_STRONG_TIP,
    AUTOMATED_NOTICE,
    EMPTY_MESSAGE,
    FLAG_NOTES,
    NOT_ENGLISH_MESSAGE,
    SIGNPOST_NOTE,
    TIPS,
    TOO_LONG_MESSAGE,
    feedback,
)
from kinwell.core import privacy

FEEDBACK = "/coach/feedback/"
STRONG = (
    "I'm so sad reading this. It sounds like losing her calls has left a silence every "
    "evening that nothing fills. What do you miss most about those talks?"
)

# ------------------------------------------------------------------------------ service


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_reply_gets_an_invitation(text):
    assert feedback(text).message == EMPTY_MESSAGE
    assert EMPTY_MESSAGE.startswith("Write a few words and the coach will share what it notices")


@pytest.mark.parametrize(
    "text",
    [
        "Lo siento mucho, espero que estés bien pronto",
        "Je suis vraiment désolée pour toi",
        "Es tut mir so leid, ich denke an dich",
        "Мне очень жаль, держись",
        "本当にごめんなさい",
    ],
)
def test_other_languages_are_named_not_rated(text):
    result = feedback(text)
    assert result.message == NOT_ENGLISH_MESSAGE == "The coach only reads English for now."
    assert not result.meters


@pytest.mark.parametrize(
    "text", ["ok", "Sending hugs, stay strong", "im so sory thats rough mate", "❤️❤️", "same"]
)
def test_short_or_informal_english_is_read(text):
    assert feedback(text).ok


def test_a_very_long_reply_gets_a_clear_message():
    result = feedback("I hear you. " * 500)
    assert result.message == TOO_LONG_MESSAGE and "5,000" in result.message
    assert feedback("I hear you. " * 400).ok  # 4,800 characters: fine


def test_feedback_has_levels_meters_phrases_and_the_automated_notice():
    result = feedback("I feel so sad reading this. What happened after that?")
    assert result.ok
    assert [m.name for m in result.meters] == [
        "emotional_reactions",
        "interpretations",
        "explorations",
    ]
    by_name = {m.name: m for m in result.meters}
    assert by_name["emotional_reactions"].level == 2
    assert by_name["emotional_reactions"].level_name == "strong"
    assert any("sad" in p for p in by_name["emotional_reactions"].phrases)
    assert by_name["explorations"].level >= 1
    assert result.notice == AUTOMATED_NOTICE and "automated" in result.notice
    assert 1 <= len(result.suggestions) <= 2
    assert set(result.as_json()) == {"message", "levels", "flags", "suggestions", "phrases"}


def test_a_bare_reply_gets_the_two_first_steps():
    result = feedback("ok")
    assert result.levels == {"emotional_reactions": 0, "interpretations": 0, "explorations": 0}
    assert result.suggestions == (
        TIPS[("interpretations", 0)],
        TIPS[("explorations", 0)],
    )
    assert all(m.phrases == () for m in result.meters)


def test_a_reply_strong_on_everything_is_told_so():
    result = feedback(STRONG)
    assert result.levels == {"emotional_reactions": 2, "interpretations": 2, "explorations": 2}
    assert result.suggestions == (ALL_STRONG_TIP,)
    assert not result.flags


def test_flags_come_with_a_gentle_note_and_one_tip():
    result = feedback("Honestly that's on you, you should have known better.")
    names = [f.name for f in result.flags]
    assert "judgement" in names
    judgement = next(f for f in result.flags if f.name == "judgement")
    assert judgement.note == FLAG_NOTES["judgement"]
    assert judgement.phrases
    assert len(result.suggestions) == 1


def test_minimising_is_noted():
    result = feedback("At least you still have your kids. Others have it worse.")
    assert [f.name for f in result.flags] == ["minimising"]
    assert result.flags[0].note == FLAG_NOTES["minimising"]


def test_ordinary_advice_gets_the_advice_note():
    result = feedback("You should just delete the app and go for a run.")
    advice = next(f for f in result.flags if f.name == "advice")
    assert advice.note == FLAG_NOTES["advice"]


def test_pointing_to_crisis_help_is_not_treated_as_a_fault():
    seeker = "I don't want to be here anymore. Nobody would notice if I was gone."
    reply = "Please ring Samaritans on 116 123 tonight, they are there day and night."
    advice = next(f for f in feedback(reply, seeker).flags if f.name == "advice")
    assert advice.note == SIGNPOST_NOTE
    # A doctor counts as help when the post shows distress, not for an everyday worry.
    gp = "You should see your GP about this and tell them everything."
    notes = {f.name: f.note for f in feedback(gp, seeker).flags}
    assert notes.get("advice") == SIGNPOST_NOTE
    notes = {f.name: f.note for f in feedback(gp, "My new job is a bit boring.").flags}
    assert notes.get("advice") == FLAG_NOTES["advice"]


def test_feedback_never_rewrites_the_reply():
    text = "I feel so sad reading this."
    result = feedback(text)
    assert text not in " ".join(result.suggestions)


# ------------------------------------------------------------------------------ endpoint


def test_feedback_needs_sign_in(client):
    response = client.post(FEEDBACK, {"text": "I feel so sad reading this"})
    assert response.status_code == 302
    assert reverse("accounts:sign_in") in response["Location"]


def test_feedback_only_accepts_post(member_client):
    assert member_client.get(FEEDBACK).status_code == 405


def test_feedback_needs_the_csrf_header(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post(FEEDBACK, {"text": "ok"}).status_code == 403
    client.get(reverse("coach:practice"))  # sets the CSRF cookie, as any page does
    token = client.cookies["csrftoken"].value
    response = client.post(FEEDBACK, {"text": "ok"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


def test_feedback_partial_has_meters_in_words_and_a_live_region(member_client):
    response = member_client.post(
        FEEDBACK, {"text": "I feel so sad reading this", "seeker": "My cat died."}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-live="polite"' in html
    assert "Sharing how it touches you" in html and "strong" in html
    assert "Asking about them" in html and "none" in html
    assert 'data-mechanism="emotional_reactions" data-level="2"' in html
    assert "To go deeper" in html
    assert "automated feedback" in html
    assert "<form" not in html  # it is swapped into reply forms


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write a few words and the coach will share what it notices"),
        ("Lo siento mucho, espero que estés bien pronto", "The coach only reads English for now."),
        ("x" * 5001, "longer than the coach can read"),
    ],
)
def test_feedback_endpoint_explains_what_it_cannot_rate(member_client, text, message):
    response = member_client.post(FEEDBACK, {"text": text})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "coach-meter" not in html


def test_html_in_a_reply_is_treated_as_text_and_escaped(member_client):
    text = (
        'I feel <b>so sad</b> reading this <script>alert("x")</script> <img src=x onerror=alert(1)>'
    )
    html = member_client.post(FEEDBACK, {"text": text, "seeker": "<i>seeker</i>"}).content.decode()
    assert "<script" not in html and "<b>" not in html and "<img" not in html and "<i>" not in html
    assert "coach-meter" in html
    assert "&lt;b&gt;so sad" in html or "so sad" in html


def test_feedback_is_rate_limited(member_client, monkeypatch):
    monkeypatch.setattr(views, "FEEDBACK_PER_MINUTE", 2)
    for _ in range(2):
        assert member_client.post(FEEDBACK, {"text": "ok"}).status_code == 200
    response = member_client.post(FEEDBACK, {"text": "ok"})
    assert response.status_code == 429
    assert "The coach needs a short rest" in response.content.decode()


def test_feedback_stores_nothing(member_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        member_client.post(FEEDBACK, {"text": "I feel so sad reading this"})
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []


# ------------------------------------------------------------------------- on and off


@pytest.mark.django_db
def test_coach_is_on_without_any_choice():
    assert coach_enabled_for(UserFactory()) is True


@pytest.mark.django_db
def test_a_circle_default_applies_until_the_member_chooses():
    from kinwell.circles.tests.factories import make_circle

    member = UserFactory()
    quiet = make_circle(members=[member], coach_default=False)
    coached = make_circle(members=[member], name="Birch", coach_default=True)
    assert coach_enabled_for(member, quiet) is False
    assert coach_enabled_for(member, coached) is True
    services.coach_preference_set(actor=member, enabled=True)
    assert coach_enabled_for(member, quiet) is True
    services.coach_preference_set(actor=member, enabled=False)
    assert coach_enabled_for(member, coached) is False
    assert coach_enabled_for(member) is False
    assert CoachPreference.objects.filter(user=member).count() == 1


def test_settings_page_turns_the_coach_off_and_on(member, member_client):
    page = member_client.get(reverse("coach:settings"))
    assert page.status_code == 200 and "Empathy coach" in page.content.decode()
    response = member_client.post(reverse("coach:settings"), {"enabled": "off"})
    assert response.status_code == 302 and response["Location"] == reverse("coach:settings")
    assert CoachPreference.objects.get(user=member).enabled is False
    assert "The coach is off" in member_client.get(reverse("coach:settings")).content.decode()
    member_client.post(reverse("coach:settings"), {"enabled": "on"})
    assert CoachPreference.objects.get(user=member).enabled is True


def test_settings_rejects_a_missing_choice(member, member_client):
    response = member_client.post(reverse("coach:settings"), {})
    assert response.status_code == 200 and "Choose on or off." in response.content.decode()
    assert not CoachPreference.objects.filter(user=member).exists()


def test_settings_goes_back_only_to_this_site(member_client):
    here = member_client.post(reverse("coach:settings"), {"enabled": "off", "next": "/circles/"})
    assert here["Location"] == "/circles/"
    away = member_client.post(
        reverse("coach:settings"), {"enabled": "off", "next": "https://evil.example/"}
    )
    assert away["Location"] == reverse("coach:settings")


def test_settings_next_that_is_not_a_path_is_ignored(member_client):
    # redirect() takes a bare word for a URL name: "-5" was a 500 (found by fuzzing).
    for target in ("-5", "accounts:delete"):
        response = member_client.post(reverse("coach:settings"), {"enabled": "off", "next": target})
        assert response["Location"] == reverse("coach:settings")


def test_turning_off_from_the_box_returns_a_note_and_keeps_the_page(member, member_client):
    response = member_client.post(
        reverse("coach:settings"), {"enabled": "off"}, HTTP_X_COACH_REQUEST="1"
    )
    assert response.status_code == 200
    assert "The empathy coach is off" in response.content.decode()
    assert CoachPreference.objects.get(user=member).enabled is False


def test_settings_needs_sign_in(client):
    assert client.get(reverse("coach:settings")).status_code == 302
    assert client.post(reverse("coach:settings"), {"enabled": "off"}).status_code == 302


def _box(user, **context):
    request = RequestFactory().get("/circles/1/posts/2/")
    request.user = user
    return render_to_string("coach/_coach_box.html", context, request=request)


@pytest.mark.django_db
def test_the_include_follows_the_member_and_circle_choice():
    from kinwell.circles.tests.factories import make_circle

    member = UserFactory()
    circle = make_circle(members=[member], coach_default=False)
    assert "The empathy coach is off" in _box(member, circle=circle)
    html = _box(member, seeker="My <b>dog</b> died", textarea_id="id_body")
    assert 'data-endpoint="/coach/feedback/"' in html
    assert 'data-coach-for="id_body"' in html
    assert 'data-seeker="My &lt;b&gt;dog&lt;/b&gt; died"' in html
    assert 'aria-live="polite"' in html and "kinwell/coach.js" in html
    assert "<form" not in html  # safe to place inside a reply form
    services.coach_preference_set(actor=member, enabled=True)
    assert "data-coach-box" in _box(member, circle=circle)


@pytest.mark.django_db
def test_preference_is_part_of_the_member_data():
    keys = {c.key: c for c in privacy.categories()}
    assert keys["coach.preference"].model is CoachPreference
    member = UserFactory()
    services.coach_preference_set(actor=member, enabled=False)
    member.delete()
    assert not CoachPreference.objects.exists()


# ------------------------------------------------------------------------------ practice


def test_practice_page_shows_a_post_and_a_coached_reply_box(member_client):
    response = member_client.get(reverse("coach:practice"))
    assert response.status_code == 200
    html = response.content.decode()
    first = practice_posts()[0]
    assert "Practise replying" in html
    assert "data-coach" in html and "data-coach-box" in html
    assert f"Post 1 of {len(practice_posts())}" in html
    assert "?post=2" in html and "Previous post" not in html
    assert "Turn the coach off" not in html
    assert "data-coach-compare hidden" in html  # the example waits until they have tried
    assert first.example.split()[0] in html


def test_practice_moves_between_posts_and_clamps(member_client):
    second = member_client.get(reverse("coach:practice") + "?post=2").content.decode()
    assert "Post 2 of" in second and "?post=1" in second
    last = len(practice_posts())
    beyond = member_client.get(reverse("coach:practice") + "?post=99999").content.decode()
    assert f"Post {last} of {last}" in beyond and "Next post" not in beyond
    assert (
        "Post 1 of" in member_client.get(reverse("coach:practice") + "?post=abc").content.decode()
    )


def test_practice_without_script_rates_the_reply_and_stores_nothing(member_client):
    from django.apps import apps

    before = {m._meta.label: m.objects.count() for m in apps.get_models()}
    response = member_client.post(
        reverse("coach:practice"), {"post": "3", "text": "I feel so sad reading this"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Post 3 of" in html
    assert 'data-mechanism="emotional_reactions" data-level="2"' in html
    assert "data-coach-compare hidden" not in html
    assert ">I feel so sad reading this</textarea>" in html
    after = {m._meta.label: m.objects.count() for m in apps.get_models()}
    changed = {k for k in before if before[k] != after[k]}
    assert changed <= {"sessions.Session"}


def test_practice_needs_sign_in(client):
    assert client.get(reverse("coach:practice")).status_code == 302


def test_practice_leaves_out_posts_that_read_as_a_crisis():
    from kinwell.safety.screening import screen_text

    posts = practice_posts()
    assert len(posts) >= 50
    assert len({p.text for p in posts}) == len(posts)
    for post in posts:
        assert screen_text(post.text).level != "urgent"
        assert post.example and post.focus_label
