import json

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from kinwell.accounts.tests.factories import UserFactory
from kinwell.circles import services
from kinwell.circles.models import ChatMessage, Membership, Visibility
from kinwell.circles.tests.factories import add_facilitator, make_circle
from kinwell.core.tests.test_realtime import _session_cookie
from kinwell.routing import websocket_urlpatterns
from kinwell.safety.models import Escalation, Mute

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.anyio]

APP = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def connect(user, circle_id):
    headers = [(b"origin", b"http://127.0.0.1")]
    if user is not None:
        cookie = await sync_to_async(_session_cookie)(user)
        headers.append((b"cookie", cookie.encode()))
    socket = WebsocketCommunicator(APP, f"/ws/circles/{circle_id}/chat/", headers=headers)
    connected, code = await socket.connect()
    return socket, connected, code


async def receive(socket):
    return json.loads(await socket.receive_from(timeout=5))


async def circle_of(*users):
    return await sync_to_async(make_circle)(members=list(users))


async def test_a_message_is_stored_then_acknowledged_and_reaches_the_circle():
    alice, bob = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    circle = await circle_of(alice, bob)
    a, connected, _ = await connect(alice, circle.pk)
    assert connected
    b, connected, _ = await connect(bob, circle.pk)
    assert connected
    await a.send_to(
        text_data=json.dumps({"type": "send", "body": "hello <b>all</b>", "client_id": "c1"})
    )
    first = await receive(a)
    second = await receive(a)
    by_type = {first["type"]: first, second["type"]: second}
    stored = await sync_to_async(ChatMessage.objects.get)(pk=by_type["ack"]["id"])
    assert stored.body == "hello <b>all</b>"
    assert by_type["message"]["mine"] is True
    received = await receive(b)
    assert received["type"] == "message"
    assert received["mine"] is False
    assert "hello &lt;b&gt;all&lt;/b&gt;" in received["html"]
    await a.disconnect()
    await b.disconnect()


async def test_a_resend_with_the_same_client_id_is_not_stored_twice():
    alice = await sync_to_async(UserFactory)()
    circle = await circle_of(alice)
    a, _, _ = await connect(alice, circle.pk)
    for _ in range(2):
        await a.send_to(text_data=json.dumps({"type": "send", "body": "once", "client_id": "same"}))
    replies = [await receive(a) for _ in range(3)]
    assert [r["type"] for r in replies].count("ack") == 2
    assert await sync_to_async(ChatMessage.objects.filter(body="once").count)() == 1
    await a.disconnect()


async def test_non_members_and_anonymous_visitors_are_closed_out():
    alice, outsider = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    circle = await circle_of(alice)
    _, connected, code = await connect(outsider, circle.pk)
    assert not connected and code == 4404
    _, connected, code = await connect(None, circle.pk)
    assert not connected and code == 4401
    _, connected, code = await connect(alice, 999_999)
    assert not connected and code == 4404


async def test_unread_agreements_close_the_socket():
    alice = await sync_to_async(UserFactory)()
    circle = await circle_of(alice)
    await sync_to_async(Membership.objects.filter(user=alice).update)(agreed_version=0)
    _, connected, code = await connect(alice, circle.pk)
    assert not connected and code == 4403


async def test_bad_frames_get_a_clear_error_and_the_chat_keeps_working():
    alice = await sync_to_async(UserFactory)()
    circle = await circle_of(alice)
    a, _, _ = await connect(alice, circle.pk)
    await a.send_to(text_data="{not json")
    assert (await receive(a))["type"] == "error"
    await a.send_to(text_data=json.dumps({"type": "send", "body": "x" * 2001, "client_id": "big"}))
    error = await receive(a)
    assert error["type"] == "error" and "2,000" in error["message"]
    await a.send_to(text_data=json.dumps({"type": "send", "body": "   ", "client_id": "empty"}))
    assert (await receive(a))["type"] == "error"
    await a.send_to(text_data=json.dumps({"type": "dance"}))
    assert (await receive(a))["type"] == "error"
    await a.send_to(text_data=json.dumps({"type": "send", "body": "still here", "client_id": "ok"}))
    types = {(await receive(a))["type"], (await receive(a))["type"]}
    assert types == {"ack", "message"}
    assert await sync_to_async(ChatMessage.objects.count)() == 1
    await a.disconnect()


async def test_deeply_nested_json_gets_an_error_not_a_crash():
    # json.loads raises RecursionError (not ValueError) past ~1,000 levels; the consumer
    # crashed and the socket closed (found by fuzzing).
    alice = await sync_to_async(UserFactory)()
    circle = await circle_of(alice)
    a, _, _ = await connect(alice, circle.pk)
    await a.send_to(text_data="[" * 100_000 + "]" * 100_000)
    assert (await receive(a))["type"] == "error"
    await a.send_to(text_data=json.dumps({"type": "send", "body": "still here", "client_id": "ok"}))
    types = {(await receive(a))["type"], (await receive(a))["type"]}
    assert types == {"ack", "message"}
    await a.disconnect()


async def test_a_member_removed_mid_chat_is_closed_and_their_messages_stay():
    alice, bob = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    facilitator = await sync_to_async(UserFactory)(roles=["facilitator"])
    circle = await circle_of(alice, bob)
    await sync_to_async(add_facilitator)(circle, facilitator)
    b, _, _ = await connect(bob, circle.pk)
    await b.send_to(text_data=json.dumps({"type": "send", "body": "before", "client_id": "b1"}))
    await receive(b)
    await receive(b)
    await sync_to_async(services.membership_remove)(
        actor=facilitator, circle_id=circle.pk, user_id=bob.pk, reason="Broke agreement 1"
    )
    removed = await receive(b)
    assert removed["type"] == "removed"
    output = await b.receive_output(timeout=3)
    assert output["type"] == "websocket.close" and output["code"] == 4403
    assert await sync_to_async(ChatMessage.objects.filter(body="before").exists)()


async def test_muted_authors_are_not_delivered():
    alice, bob = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    circle = await circle_of(alice, bob)
    await sync_to_async(Mute.objects.create)(muter=bob, muted=alice)
    a, _, _ = await connect(alice, circle.pk)
    b, _, _ = await connect(bob, circle.pk)
    await a.send_to(text_data=json.dumps({"type": "send", "body": "hi", "client_id": "m"}))
    await receive(a)
    await receive(a)
    assert await b.receive_nothing(timeout=0.3)
    await a.disconnect()
    await b.disconnect()


async def test_urgent_chat_is_held_with_help_for_the_writer_only(screen_as):
    screen_as("urgent")
    alice, bob = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    circle = await circle_of(alice, bob)
    a, _, _ = await connect(alice, circle.pk)
    b, _, _ = await connect(bob, circle.pk)
    await a.send_to(
        text_data=json.dumps({"type": "send", "body": "I want to die", "client_id": "u"})
    )
    ack = await receive(a)
    assert ack["type"] == "ack" and ack["held"] is True
    assert 'id="help-inline"' in ack["help"]
    assert await b.receive_nothing(timeout=0.3)
    message = await sync_to_async(ChatMessage.objects.get)()
    assert message.visibility == Visibility.HELD
    assert await sync_to_async(Escalation.objects.filter(space=f"circle:{circle.pk}").exists)()
    await sync_to_async(services.held_choose)(
        author=alice, kind="message", item_id=message.pk, share=True
    )
    shared = await receive(b)
    assert shared["type"] == "message" and "I want to die" in shared["html"]
    await a.disconnect()
    await b.disconnect()
