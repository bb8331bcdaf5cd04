from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kinwell.accounts.tests.factories import UserFactory
from kinwell.circles import selectors, services
from kinwell.circles.models import (
    Acknowledgement,
    Circle,
    JoinRequest,
    Membership,
    Post,
    Visibility,
)
from kinwell.circles.slots import local_label, to_utc_slots
from kinwell.circles.tests.factories import add_facilitator, make_circle
from kinwell.core.models import Notification
from kinwell.safety.models import Block, Escalation, Mute

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ask(user, **overrides):
    values = {
        "focus_slug": "grief",
        "language": "en",
        "days": ["mon"],
        "times": ["19:00"],
        "stage": "middle",
        **overrides,
    }
    return services.join_request_create(user=user, **values)


# --- Slots ----------------------------------------------------------------------------


def test_slots_are_stored_in_utc_so_people_in_different_zones_can_share_one():
    london = UserFactory(time_zone="Europe/London")
    lisbon = UserFactory(time_zone="Europe/Lisbon")
    berlin = UserFactory(time_zone="Europe/Berlin")
    assert to_utc_slots(["mon"], ["19:00"], london) == to_utc_slots(["mon"], ["19:00"], lisbon)
    assert to_utc_slots(["mon"], ["20:00"], berlin) == to_utc_slots(["mon"], ["19:00"], london)


def test_a_slot_that_crosses_midnight_moves_to_the_utc_day():
    auckland = UserFactory(time_zone="Pacific/Auckland")
    (slot,) = to_utc_slots(["mon"], ["08:00"], auckland)
    assert slot.startswith("sun ")
    assert "Monday" in local_label(slot, auckland)


# --- Joining and matching ------------------------------------------------------------


def test_join_request_needs_a_known_focus_and_a_time():
    member = UserFactory()
    with pytest.raises(ValidationError) as unknown:
        ask(member, focus_slug="astrology")
    assert "focus" in unknown.value.message_dict
    with pytest.raises(ValidationError) as no_time:
        ask(member, times=[])
    assert "days" in no_time.value.message_dict
    assert not JoinRequest.objects.exists()


def test_only_one_waiting_request_at_a_time():
    member = UserFactory()
    ask(member)
    with pytest.raises(ValidationError):
        ask(member, focus_slug="loneliness")
    assert JoinRequest.objects.filter(user=member).count() == 1


def test_five_compatible_requests_form_a_circle_and_everyone_is_told(
    django_capture_on_commit_callbacks,
):
    people = [UserFactory() for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        for person in people[:4]:
            ask(person)
    assert not Circle.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        ask(people[4])
    circle = Circle.objects.get()
    assert circle.slot == to_utc_slots(["mon"], ["19:00"], people[0])[0]
    assert set(circle.memberships.values_list("user_id", flat=True)) == {p.pk for p in people}
    assert JoinRequest.objects.filter(status=JoinRequest.Status.PLACED).count() == 5
    assert Notification.objects.filter(title__startswith="You have a circle").count() == 5
    assert circle.agreements.get().version == 1


def test_a_circle_with_space_is_filled_before_a_new_one_forms(django_capture_on_commit_callbacks):
    existing = make_circle(n=5, slot=to_utc_slots(["mon"], ["19:00"], UserFactory())[0])
    newcomer = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        ask(newcomer)
    assert Membership.objects.filter(circle=existing, user=newcomer).exists()
    assert Circle.objects.count() == 1


def test_blocked_members_never_share_a_circle(django_capture_on_commit_callbacks):
    people = [UserFactory() for _ in range(6)]
    Block.objects.create(blocker=people[0], blocked=people[1])
    with django_capture_on_commit_callbacks(execute=True):
        for person in people:
            ask(person)
    circle = Circle.objects.get()
    members = set(circle.memberships.values_list("user_id", flat=True))
    assert len(members) == 5
    assert not {people[0].pk, people[1].pk} <= members


def test_named_exclusions_are_kept_apart_and_unknown_names_reveal_nothing(
    django_capture_on_commit_callbacks,
):
    people = [UserFactory() for _ in range(6)]
    with django_capture_on_commit_callbacks(execute=True):
        ask(people[0], never_meet=[people[1].display_name.upper(), "Nobody By This Name"])
        for person in people[1:]:
            ask(person)
    members = set(Circle.objects.get().memberships.values_list("user_id", flat=True))
    assert not {people[0].pk, people[1].pk} <= members


def test_join_page_shows_field_errors_and_saves_nothing(member_client):
    response = member_client.post(
        reverse("circles:join"), {"focus": "grief", "language": "en", "stage": "early"}
    )
    assert response.status_code == 200
    assert "Choose at least one day" in response.content.decode()
    assert not JoinRequest.objects.exists()


def test_join_page_unknown_focus_is_a_form_error(member_client):
    response = member_client.post(
        reverse("circles:join"),
        {"focus": "nope", "language": "en", "days": ["mon"], "times": ["19:00"], "stage": "early"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_member_withdraws_a_waiting_request(member, member_client):
    request = ask(member)
    member_client.post(reverse("circles:withdraw", args=[request.pk]))
    request.refresh_from_db()
    assert request.status == JoinRequest.Status.WITHDRAWN


def test_only_moderators_run_matching_by_hand(member_client, moderator):
    assert member_client.get(reverse("circles:matching")).status_code == 403
    assert client_for(moderator).get(reverse("circles:matching")).status_code == 200


# --- Agreements ----------------------------------------------------------------------


def test_a_new_member_reads_the_agreements_before_seeing_the_circle(member):
    circle = make_circle()
    Membership.objects.create(circle=circle, user=member)
    client = client_for(member)
    response = client.get(reverse("circles:circle", args=[circle.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("circles:agreements", args=[circle.pk])
    with pytest.raises(PermissionDenied):
        services.post_create(author=member, circle_id=circle.pk, body="hello")
    response = client.post(reverse("circles:agreements", args=[circle.pk]), {"version": 1})
    assert "Tick the box" in response.content.decode()
    client.post(reverse("circles:agreements", args=[circle.pk]), {"version": 1, "agree": "on"})
    assert client.get(reverse("circles:circle", args=[circle.pk])).status_code == 200


def test_new_agreements_version_asks_everyone_again(member):
    circle = make_circle(members=[member])
    facilitator = UserFactory(roles=["facilitator"])
    add_facilitator(circle, facilitator)
    with pytest.raises(PermissionDenied):
        services.agreement_update(actor=member, circle_id=circle.pk, text="x" * 50)
    services.agreement_update(
        actor=facilitator, circle_id=circle.pk, text="We keep what is said here. " * 3
    )
    with pytest.raises(selectors.AgreementsNeeded):
        selectors.circle_get_for_member(user=member, circle_id=circle.pk)
    with pytest.raises(ValidationError):
        services.agreement_accept(user=member, circle_id=circle.pk, version=1)
    services.agreement_accept(user=member, circle_id=circle.pk, version=2)
    selectors.circle_get_for_member(user=member, circle_id=circle.pk)
    # The facilitator who wrote it does not have to accept their own words.
    selectors.circle_get_for_member(user=facilitator, circle_id=circle.pk)


# --- Authorization -------------------------------------------------------------------


def test_non_members_see_nothing_of_a_circle(member, other_member):
    circle = make_circle(members=[member] + [UserFactory() for _ in range(4)])
    post, _ = services.post_create(author=member, circle_id=circle.pk, body="my story")
    message, _, _ = services.chat_send(author=member, circle_id=circle.pk, body="hi all")
    outsider = client_for(other_member)
    for url in [
        reverse("circles:circle", args=[circle.pk]),
        reverse("circles:agreements", args=[circle.pk]),
        reverse("circles:post", args=[circle.pk, post.pk]),
    ]:
        response = outsider.get(url)
        assert response.status_code == 404, url
        assert "my story" not in response.content.decode()
    for url, data in [
        (reverse("circles:post_create", args=[circle.pk]), {"body": "intruding"}),
        (reverse("circles:post", args=[circle.pk, post.pk]), {"body": "intruding"}),
        (reverse("circles:chat_send", args=[circle.pk]), {"body": "intruding"}),
        (reverse("circles:ack", args=["post", post.pk]), {}),
        (reverse("circles:ack", args=["message", message.pk]), {}),
        (reverse("circles:held_choice", args=["post", post.pk]), {"share": "yes"}),
        (reverse("circles:leave", args=[circle.pk]), {}),
    ]:
        assert outsider.post(url, data).status_code == 404, url
    assert not Post.objects.filter(body="intruding").exists()
    assert not Acknowledgement.objects.exists()


def test_a_post_id_from_another_circle_is_not_found(member):
    mine = make_circle(members=[member])
    theirs = make_circle(name="Willow")
    author = theirs.memberships.first().user
    post, _ = services.post_create(author=author, circle_id=theirs.pk, body="elsewhere")
    response = client_for(member).get(reverse("circles:post", args=[mine.pk, post.pk]))
    assert response.status_code == 404


# --- Posts, replies, "I see you" ------------------------------------------------------


def test_post_reply_and_i_see_you(member, other_member):
    circle = make_circle(members=[member, other_member])
    client = client_for(member)
    response = client.post(reverse("circles:post_create", args=[circle.pk]), {"body": "Day 3."})
    post = Post.objects.get(body="Day 3.")
    assert response.status_code == 302
    other = client_for(other_member)
    other.post(reverse("circles:post", args=[circle.pk, post.pk]), {"body": "I hear you."})
    assert post.replies.get().author == other_member
    assert Notification.objects.filter(user=member, title__contains="replied").exists()
    other.post(reverse("circles:ack", args=["post", post.pk]))
    assert Acknowledgement.objects.filter(user=other_member, post=post).exists()
    assert Notification.objects.filter(user=member, title__contains="I see you").exists()
    page = client.get(reverse("circles:circle", args=[circle.pk])).content.decode()
    assert f"Seen by {other_member.display_name} (I see you)" in page
    # Pressing again takes it back.
    other.post(reverse("circles:ack", args=["post", post.pk]))
    assert not Acknowledgement.objects.exists()


def test_i_see_you_with_a_next_that_is_not_a_path_goes_to_the_circles_page(member, other_member):
    # redirect() takes a bare word for a URL name: "-5" was a 500 (found by fuzzing).
    circle = make_circle(members=[member, other_member])
    post, _ = services.post_create(author=member, circle_id=circle.pk, body="mine")
    for target in ("-5", "circles:leave", "javascript:alert(1)"):
        response = client_for(other_member).post(
            reverse("circles:ack", args=["post", post.pk]), {"next": target}
        )
        assert response.status_code == 302 and response["Location"] == reverse("circles:index")


def test_acknowledging_your_own_post_is_refused(member):
    circle = make_circle(members=[member])
    post, _ = services.post_create(author=member, circle_id=circle.pk, body="mine")
    with pytest.raises(ValidationError):
        services.ack_toggle(user=member, post_id=post.pk)


def test_empty_and_oversized_posts_get_a_clear_message(member):
    circle = make_circle(members=[member])
    client = client_for(member)
    url = reverse("circles:post_create", args=[circle.pk])
    assert "Write something" in client.post(url, {"body": "   "}).content.decode()
    response = client.post(url, {"body": "x" * 5001})
    assert response.status_code == 400
    assert "at most 5000 characters" in response.content.decode()
    assert not Post.objects.exists()


def test_worrying_post_shows_help_and_tells_the_facilitator(member, screen_as):
    circle = make_circle(members=[member])
    facilitator = UserFactory(roles=["facilitator"])
    add_facilitator(circle, facilitator)
    screen_as("concern")
    response = client_for(member).post(
        reverse("circles:post_create", args=[circle.pk]), {"body": "everything is heavy"}
    )
    assert response.status_code == 200
    assert 'id="help-inline"' in response.content.decode()
    escalation = Escalation.objects.get()
    assert escalation.space == f"circle:{circle.pk}"
    assert Post.objects.get().visibility == Visibility.VISIBLE


def test_urgent_post_is_held_until_the_writer_chooses(member, other_member, screen_as):
    circle = make_circle(members=[member, other_member])
    screen_as("urgent")
    response = client_for(member).post(
        reverse("circles:post_create", args=[circle.pk]), {"body": "I cannot go on"}
    )
    assert "Would you like your circle to see them" in response.content.decode()
    post = Post.objects.get()
    assert post.visibility == Visibility.HELD
    assert selectors.posts_for_circle(circle=circle, viewer=other_member) == []
    assert [p.pk for p in selectors.posts_for_circle(circle=circle, viewer=member)] == [post.pk]
    client_for(member).post(
        reverse("circles:held_choice", args=["post", post.pk]), {"share": "yes"}
    )
    post.refresh_from_db()
    assert post.visibility == Visibility.VISIBLE
    assert Escalation.objects.get().posted is True
    assert [p.pk for p in selectors.posts_for_circle(circle=circle, viewer=other_member)] == [
        post.pk
    ]


def test_only_the_writer_chooses_for_held_words(member, other_member, screen_as):
    circle = make_circle(members=[member, other_member])
    screen_as("urgent")
    post, _ = services.post_create(author=member, circle_id=circle.pk, body="held")
    response = client_for(other_member).post(
        reverse("circles:held_choice", args=["post", post.pk]), {"share": "yes"}
    )
    assert response.status_code == 404
    post.refresh_from_db()
    assert post.visibility == Visibility.HELD


def test_muted_and_blocked_authors_are_hidden(member, other_member):
    third = UserFactory()
    circle = make_circle(members=[member, other_member, third])
    services.post_create(author=other_member, circle_id=circle.pk, body="from other")
    services.post_create(author=third, circle_id=circle.pk, body="from third")
    Mute.objects.create(muter=member, muted=other_member)
    Block.objects.create(blocker=third, blocked=member)
    assert selectors.posts_for_circle(circle=circle, viewer=member) == []


def test_unseen_posts_surface_after_a_while(member, other_member):
    circle = make_circle(members=[member, other_member])
    post, _ = services.post_create(author=other_member, circle_id=circle.pk, body="anyone?")
    assert selectors.unseen_posts(circle=circle, viewer=member) == []
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(hours=13))
    assert [p.pk for p in selectors.unseen_posts(circle=circle, viewer=member)] == [post.pk]
    assert selectors.unseen_posts(circle=circle, viewer=other_member) == []
    services.ack_toggle(user=member, post_id=post.pk)
    assert selectors.unseen_posts(circle=circle, viewer=member) == []


def test_circle_page_query_count_does_not_grow_with_posts(member, django_assert_max_num_queries):
    people = [member] + [UserFactory() for _ in range(5)]
    circle = make_circle(members=people)
    client = client_for(member)
    for person in people:
        post, _ = services.post_create(author=person, circle_id=circle.pk, body="hello")
        services.chat_send(author=person, circle_id=circle.pk, body="hi")
    # One reply and one acknowledgement, so every prefetch level runs in the baseline too.
    services.post_create(author=people[1], circle_id=circle.pk, body="re", parent_id=post.pk)
    services.ack_toggle(user=people[0], post_id=post.pk)
    client.get(reverse("circles:circle", args=[circle.pk]))
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("circles:circle", args=[circle.pk]))
    baseline = len(few.captured_queries)
    from django.core.cache import cache

    for person in people:
        for _ in range(3):
            cache.clear()  # the posting rate limit is not what this test is about
            post, _ = services.post_create(author=person, circle_id=circle.pk, body="more")
            services.post_create(
                author=people[0], circle_id=circle.pk, body="reply", parent_id=post.pk
            )
    cache.clear()
    client.get(reverse("circles:circle", args=[circle.pk]))  # warm the per-member nav cache
    with django_assert_max_num_queries(baseline):
        client.get(reverse("circles:circle", args=[circle.pk]))


# --- Leaving and removal -------------------------------------------------------------


def test_facilitator_removes_a_member_with_a_reason(member):
    circle = make_circle(members=[member])
    facilitator = UserFactory(roles=["facilitator"])
    add_facilitator(circle, facilitator)
    with pytest.raises(PermissionDenied):
        services.membership_remove(
            actor=member, circle_id=circle.pk, user_id=facilitator.pk, reason="x"
        )
    client_for(facilitator).post(
        reverse("circles:remove", args=[circle.pk]), {"user_id": member.pk, "reason": "Rule 2"}
    )
    assert Membership.objects.get(circle=circle, user=member).status == Membership.Status.REMOVED
    assert client_for(member).get(reverse("circles:circle", args=[circle.pk])).status_code == 404
    assert Notification.objects.filter(user=member, body="Rule 2").exists()


def test_leaving_a_circle(member):
    circle = make_circle(members=[member])
    client_for(member).post(reverse("circles:leave", args=[circle.pk]))
    assert Membership.objects.get(user=member).status == Membership.Status.LEFT


def test_a_different_response_replaces_the_first(member, other_member):
    circle = make_circle(members=[member, other_member])
    post, _ = services.post_create(author=member, circle_id=circle.pk, body="long week")
    assert services.ack_toggle(user=other_member, post_id=post.pk, response="too") == "too"
    assert services.ack_toggle(user=other_member, post_id=post.pk, response="with") == "with"
    ack = Acknowledgement.objects.get()
    assert ack.response == "with"
    with pytest.raises(ValidationError):
        services.ack_toggle(user=other_member, post_id=post.pk, response="like")
    response = client_for(other_member).post(
        reverse("circles:ack", args=["post", post.pk]),
        {"response": "thanks"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f'id="post-{post.pk}"' in response.content.decode()
    assert 'value="thanks" aria-pressed="true"' in response.content.decode()


def test_facilitator_pins_a_post_to_the_top(member):
    circle = make_circle(members=[member])
    facilitator = UserFactory(roles=["facilitator"])
    add_facilitator(circle, facilitator)
    first, _ = services.post_create(author=member, circle_id=circle.pk, body="first")
    services.post_create(author=member, circle_id=circle.pk, body="second")
    with pytest.raises(PermissionDenied):
        services.post_pin(actor=member, post_id=first.pk, pinned=True)
    client_for(facilitator).post(reverse("circles:pin", args=[first.pk]), {"pinned": "yes"})
    posts = selectors.posts_for_circle(circle=circle, viewer=member)
    assert posts[0].pk == first.pk and posts[0].pinned


def test_paused_member_cannot_post_but_sees_why_and_can_still_acknowledge(member, other_member):
    circle = make_circle(members=[member, other_member])
    facilitator = UserFactory(roles=["facilitator"])
    add_facilitator(circle, facilitator)
    post, _ = services.post_create(author=other_member, circle_id=circle.pk, body="hi")
    client_for(facilitator).post(
        reverse("circles:facilitate", args=[circle.pk]),
        {"form": "mute", "user": member.pk, "hours": 24, "reason": "Please take a breather"},
    )
    with pytest.raises(ValidationError) as paused:
        services.post_create(author=member, circle_id=circle.pk, body="but")
    assert "Please take a breather" in paused.value.messages[0]
    with pytest.raises(ValidationError):
        services.chat_send(author=member, circle_id=circle.pk, body="but")
    assert services.ack_toggle(user=member, post_id=post.pk) == "see"
    page = client_for(member).get(reverse("circles:circle", args=[circle.pk])).content.decode()
    assert "Your posting here is paused" in page
    assert Notification.objects.filter(user=member, title__contains="paused").exists()


def test_only_the_facilitator_sees_the_facilitator_page(member):
    circle = make_circle(members=[member])
    assert (
        client_for(member).get(reverse("circles:facilitate", args=[circle.pk])).status_code == 403
    )
    assert (
        client_for(UserFactory()).get(reverse("circles:facilitate", args=[circle.pk])).status_code
        == 404
    )


def test_meetings_export_valid_icalendar_and_a_revocable_feed(member):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from icalendar import Calendar

    circle = make_circle(members=[member])
    facilitator = UserFactory(roles=["facilitator"], time_zone="Europe/Berlin")
    add_facilitator(circle, facilitator)
    client = client_for(facilitator)
    day = (timezone.now() + timedelta(days=3)).astimezone(ZoneInfo("Europe/Berlin")).date()
    client.post(
        reverse("circles:meetings", args=[circle.pk]),
        {
            "title": "Week 2",
            "date": day.isoformat(),
            "time": "19:30",
            "minutes": 75,
            "where": "Room 4",
        },
    )
    meeting = circle.meetings.get()
    assert meeting.starts_at == datetime(
        day.year, day.month, day.day, 19, 30, tzinfo=ZoneInfo("Europe/Berlin")
    )
    response = client_for(member).get(reverse("circles:meeting_ics", args=[meeting.pk]))
    assert response["Content-Type"] == "text/calendar"
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == meeting.starts_at
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=75)
    assert str(event["location"]) == "Room 4"
    assert (
        client_for(UserFactory()).get(reverse("circles:meeting_ics", args=[meeting.pk])).status_code
        == 404
    )

    token = services.feed_token_for(user=member, circle_id=circle.pk)
    feed = Client().get(reverse("circles:feed", args=[circle.pk, token]))
    assert feed.status_code == 200
    assert len(Calendar.from_ical(feed.content).walk("VEVENT")) == 1
    assert Client().get(reverse("circles:feed", args=[circle.pk, "guess"])).status_code == 404
    client.post(reverse("circles:feed_rotate", args=[circle.pk]))
    assert Client().get(reverse("circles:feed", args=[circle.pk, token])).status_code == 404


def test_meetings_in_the_past_are_refused(member):
    circle = make_circle(members=[member])
    facilitator = UserFactory(roles=["facilitator"])
    add_facilitator(circle, facilitator)
    with pytest.raises(ValidationError):
        services.meeting_create(
            actor=facilitator,
            circle_id=circle.pk,
            starts_at=timezone.now() - timedelta(hours=1),
            minutes=60,
            title="Too late",
        )
    with pytest.raises(PermissionDenied):
        services.meeting_create(
            actor=member,
            circle_id=circle.pk,
            starts_at=timezone.now() + timedelta(days=1),
            minutes=60,
            title="Not mine to set",
        )


def test_partners_form_by_consent_and_either_can_end(member, other_member):
    from kinwell.circles.models import Partnership

    circle = make_circle(members=[member, other_member])
    pair = services.partner_ask(user=member, circle_id=circle.pk, partner_id=other_member.pk)
    with pytest.raises(ValidationError):
        services.partner_ask(user=other_member, circle_id=circle.pk, partner_id=member.pk)
    with pytest.raises(PermissionDenied):
        services.partner_answer(user=member, partnership_id=pair.pk, accept=True)
    client_for(other_member).post(
        reverse("circles:partners", args=[circle.pk]),
        {"action": "accept", "partnership_id": pair.pk},
    )
    pair.refresh_from_db()
    assert pair.status == Partnership.Status.ACTIVE
    services.partner_end(user=other_member, partnership_id=pair.pk)
    pair.refresh_from_db()
    assert pair.status == Partnership.Status.ENDED
    outsider = UserFactory()
    with pytest.raises(ValidationError):
        services.partner_ask(user=member, circle_id=circle.pk, partner_id=outsider.pk)


def test_unanswered_post_tells_the_partner_and_facilitator_once(member, other_member):
    from kinwell.circles.models import Partnership

    third = UserFactory()
    circle = make_circle(members=[member, other_member, third], unseen_hours=6)
    facilitator = UserFactory(roles=["facilitator"])
    add_facilitator(circle, facilitator)
    Partnership.objects.create(
        circle=circle, asker=member, partner=other_member, status=Partnership.Status.ACTIVE
    )
    services.post_create(author=member, circle_id=circle.pk, body="anyone?")
    assert services.nudges_send()["unseen"] == 0
    later = timezone.now() + timedelta(hours=7)
    sent = services.nudges_send(now=later)
    assert sent["unseen"] == 2
    told = set(
        Notification.objects.filter(title__contains="no reply yet").values_list(
            "user_id", flat=True
        )
    )
    assert told == {other_member.pk, facilitator.pk}
    assert services.nudges_send(now=later)["unseen"] == 0


def test_a_quiet_partner_is_noticed_once(member, other_member):
    from kinwell.circles.models import Partnership

    circle = make_circle(members=[member, other_member])
    pair = Partnership.objects.create(
        circle=circle,
        asker=member,
        partner=other_member,
        status=Partnership.Status.ACTIVE,
        answered_at=timezone.now(),
    )
    services.chat_send(author=member, circle_id=circle.pk, body="still here")
    later = timezone.now() + timedelta(days=pair.quiet_days + 1)
    # Only the partner who went quiet is the subject; the active one is told. Both went
    # quiet by then, so each hears about the other, once.
    first = services.nudges_send(now=later)
    assert first["quiet"] == 2
    assert services.nudges_send(now=later)["quiet"] == 0
    assert Notification.objects.filter(user=member, title__contains="quiet").exists()


def test_not_seen_lately_lists_quiet_members(member, other_member):
    circle = make_circle(members=[member, other_member])
    services.chat_send(author=member, circle_id=circle.pk, body="hello")
    quiet = selectors.not_seen_lately(circle=circle)
    assert [user.pk for user, _ in quiet] == [other_member.pk]


def test_after_leaving_a_member_can_ask_again_and_is_not_put_back_with_the_same_people(
    django_capture_on_commit_callbacks,
):
    people = [UserFactory() for _ in range(8)]
    slot = to_utc_slots(["mon"], ["19:00"], people[0])[0]
    first = make_circle(members=people, slot=slot)
    leaver = people[0]
    services.membership_leave(user=leaver, circle_id=first.pk)
    # The old circle has one seat again, but the leaver is not put back into it.
    newcomers = [UserFactory() for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        ask(leaver)
        for person in newcomers:
            ask(person)
    placed = Membership.objects.get(user=leaver, status=Membership.Status.ACTIVE)
    assert placed.circle != first
    assert not set(placed.circle.memberships.values_list("user_id", flat=True)) & {
        p.pk for p in people[1:]
    }


def test_the_coach_sits_beside_replies_when_the_facilitator_turns_it_on(member, other_member):
    from kinwell.coach.models import CoachPreference

    circle = make_circle(members=[member, other_member])
    facilitator = UserFactory(roles=["facilitator"])
    add_facilitator(circle, facilitator)
    post, _ = services.post_create(author=other_member, circle_id=circle.pk, body="rough day")
    url = reverse("circles:post", args=[circle.pk, post.pk])
    assert "data-coach-box" not in client_for(member).get(url).content.decode()
    client_for(facilitator).post(
        reverse("circles:facilitate", args=[circle.pk]),
        {"form": "settings", "unseen_hours": 24, "coach_default": "on"},
    )
    assert "data-coach-box" in client_for(member).get(url).content.decode()
    CoachPreference.objects.create(user=member, enabled=False)
    assert "data-coach-box" not in client_for(member).get(url).content.decode()


def test_facilitator_text_is_screened_too(member, screen_as):
    circle = make_circle(members=[member])
    facilitator = UserFactory(roles=["facilitator"])
    add_facilitator(circle, facilitator)
    screen_as("concern")
    services.agreement_update(
        actor=facilitator, circle_id=circle.pk, text="We keep what is said here. " * 3
    )
    services.meeting_create(
        actor=facilitator,
        circle_id=circle.pk,
        starts_at=timezone.now() + timedelta(days=1),
        minutes=60,
        title="Week 3",
    )
    assert set(Escalation.objects.values_list("source_type", flat=True)) == {
        "circle_agreements",
        "circle_meeting",
    }


def test_a_stored_request_without_slots_waits_and_does_not_stop_matching():
    # The join form cannot store this; a hand-edited row must not break the moderator's run.
    broken = UserFactory()
    JoinRequest.objects.create(
        user=broken, focus="grief", language="en", slots=[], stage="middle", utc_offset=0
    )
    for _ in range(5):
        ask(UserFactory())
    moderator = UserFactory(roles=["moderator"])
    response = client_for(moderator).post(reverse("circles:matching"), follow=True)
    assert response.status_code == 200
    assert "Placed 5 people" in response.content.decode()
    assert JoinRequest.objects.get(user=broken).status == JoinRequest.Status.WAITING
