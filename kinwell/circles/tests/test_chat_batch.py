"""Group commit for chat: a batch is checked and stored at once, each draft on its own
terms, and the cost in queries does not grow with the batch."""

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kinwell.accounts.tests.factories import UserFactory
from kinwell.circles import services
from kinwell.circles.models import ChatMessage, Membership, Visibility
from kinwell.circles.services import ChatDraft, chat_send_many
from kinwell.circles.tests.factories import make_circle
from kinwell.circles.tests.test_chat import connect
from kinwell.safety import services as safety_services
from kinwell.safety.models import Escalation


@pytest.mark.django_db
def test_each_draft_in_a_batch_gets_its_own_answer():
    alice, bob, muted, outsider = (UserFactory() for _ in range(4))
    circle = make_circle(members=[alice, bob, muted])
    Membership.objects.filter(user=muted).update(
        muted_until=timezone.now() + timedelta(hours=2), mute_reason="cool down"
    )
    earlier, _, _ = services.chat_send(author=bob, circle_id=circle.pk, body="hi", client_id="b0")
    drafts = [
        ChatDraft(alice, circle.pk, "first", "a1"),
        ChatDraft(outsider, circle.pk, "let me in", "o1"),
        ChatDraft(muted, circle.pk, "can I talk", "m1"),
        ChatDraft(alice, circle.pk, "   ", "a2"),
        ChatDraft(alice, circle.pk, "first", "a1"),  # the same message twice in one batch
        ChatDraft(bob, circle.pk, "hi", "b0"),  # a resend of a stored message
        ChatDraft(bob, circle.pk, "second", "b1"),
    ]
    results = chat_send_many(drafts)
    assert isinstance(results[1].error, PermissionDenied)
    assert isinstance(results[2].error, ValidationError)
    assert "cool down" in results[2].error.messages[0]
    assert isinstance(results[3].error, ValidationError)
    assert results[0].created and results[0].message.body == "first"
    assert results[4].message.pk == results[0].message.pk and not results[4].created
    assert results[5].message.pk == earlier.pk and not results[5].created
    assert results[6].created and results[6].message.author == bob
    assert sorted(ChatMessage.objects.values_list("body", flat=True)) == ["first", "hi", "second"]


@pytest.mark.django_db
def test_a_batch_costs_the_same_queries_whatever_its_size(screen_as):
    screen_as("none")  # escalations add queries of their own, tested elsewhere
    people = [UserFactory() for _ in range(8)]
    circles = [make_circle(members=people[:4]), make_circle(members=people[4:])]

    def batch(n: int, tag: str) -> int:
        drafts = [
            ChatDraft(people[i % 8], circles[(i % 8) // 4].pk, f"message {i}", f"{tag}{i}")
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as queries:
            results = chat_send_many(drafts)
        assert all(r.created for r in results)
        return len(queries.captured_queries)

    assert batch(2, "s") == batch(40, "l")
    assert ChatMessage.objects.count() == 42


@pytest.mark.django_db
def test_the_rate_limit_counts_every_message_in_a_batch(monkeypatch):
    monkeypatch.setattr(safety_services, "CHAT_PER_MINUTE", 5)
    alice = UserFactory()
    circle = make_circle(members=[alice])
    results = chat_send_many([ChatDraft(alice, circle.pk, f"line {i}", f"r{i}") for i in range(7)])
    assert [r.created for r in results] == [True] * 5 + [False] * 2
    assert "posted 5 times in the last minute" in results[6].error.messages[0]
    assert ChatMessage.objects.count() == 5


@pytest.mark.django_db
def test_a_moderators_pause_refuses_only_that_members_drafts(monkeypatch):
    alice, bob = UserFactory(), UserFactory()
    circle = make_circle(members=[alice, bob])
    monkeypatch.setattr(
        "kinwell.safety.selectors.posting_paused_until_many",
        lambda user_ids: {bob.pk: timezone.now() + timedelta(days=1)} if bob.pk in user_ids else {},
    )
    results = chat_send_many(
        [ChatDraft(alice, circle.pk, "hello", ""), ChatDraft(bob, circle.pk, "hello", "")]
    )
    assert results[0].created
    assert "moderator paused your posting" in results[1].error.messages[0]


@pytest.mark.django_db
def test_urgent_drafts_are_stored_held_with_an_escalation(screen_as):
    screen_as("urgent")
    alice = UserFactory()
    circle = make_circle(members=[alice])
    (result,) = chat_send_many([ChatDraft(alice, circle.pk, "I want to die tonight", "u1")])
    assert result.outcome.needs_choice
    assert result.message.visibility == Visibility.HELD
    assert Escalation.objects.get().source_id == result.message.pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.anyio
async def test_many_sockets_sending_at_once_all_get_stored_acknowledged_and_delivered():
    members = [await sync_to_async(UserFactory)() for _ in range(6)]
    circle = await sync_to_async(make_circle)(members=members)
    sockets = [(await connect(m, circle.pk))[0] for m in members]
    each = 4
    await asyncio.gather(
        *(
            s.send_to(
                text_data=json.dumps({"type": "send", "body": f"{i}-{n}", "client_id": f"{n}"})
            )
            for n in range(each)
            for i, s in enumerate(sockets)
        )
    )
    total = len(members) * each
    for s in sockets:
        frames = [json.loads(await s.receive_from(timeout=10)) for _ in range(total + each)]
        assert sum(f["type"] == "ack" for f in frames) == each
        bodies = [f["html"] for f in frames if f["type"] == "message"]
        assert len(bodies) == total
        assert sum(f.get("mine", False) for f in frames if f["type"] == "message") == each
    assert await sync_to_async(ChatMessage.objects.count)() == total
    for s in sockets:
        await s.disconnect()


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.django_db(transaction=True)
@pytest.mark.anyio
async def test_a_failed_broadcast_still_acknowledges_the_stored_message(monkeypatch):
    from channels.layers import get_channel_layer

    alice = await sync_to_async(UserFactory)()
    circle = await sync_to_async(make_circle)(members=[alice])
    socket, _, _ = await connect(alice, circle.pk)

    async def broken(*args, **kwargs):
        raise ConnectionError("Redis went away")

    monkeypatch.setattr(get_channel_layer(), "group_send", broken)
    await socket.send_to(
        text_data=json.dumps({"type": "send", "body": "still here", "client_id": "k"})
    )
    reply = json.loads(await socket.receive_from(timeout=5))
    assert reply["type"] == "ack"
    assert await sync_to_async(ChatMessage.objects.filter(body="still here").exists)()
    await socket.disconnect()


@pytest.mark.django_db
def test_a_draft_that_cannot_be_stored_is_refused_alone_and_the_batch_is_stored():
    # A lone surrogate (any database) or NUL (PostgreSQL) from a hostile socket made the
    # whole batch fail: everyone's messages in it were lost (found by fuzzing).
    alice, bob = UserFactory(), UserFactory()
    circle = make_circle(members=[alice, bob])
    drafts = [
        ChatDraft(alice, circle.pk, "before", "b1"),
        ChatDraft(bob, circle.pk, "bad \ud800", "b2"),
        ChatDraft(bob, circle.pk, "nul \x00 byte", "b3"),
        ChatDraft(alice, circle.pk, "after", "b4"),
    ]
    results = chat_send_many(drafts)
    assert [isinstance(r.error, ValidationError) for r in results] == [False, True, True, False]
    assert sorted(ChatMessage.objects.values_list("body", flat=True)) == ["after", "before"]


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland"])
@pytest.mark.parametrize("visibility", [Visibility.VISIBLE, Visibility.HELD])
def test_the_live_message_html_is_exactly_the_template(zone, visibility):
    from django.template.loader import render_to_string

    author = UserFactory(display_name="Wren <b>&\"co'")
    circle = make_circle(members=[author])
    message = ChatMessage.objects.create(
        circle=circle,
        author=author,
        body="<script>alert('x')</script> & \"quotes\"\nnew line 💛",
        visibility=visibility,
    )
    with timezone.override(zone):
        template = render_to_string("circles/_message.html", {"message": message})
        assert services.render_live_message(message) == template
