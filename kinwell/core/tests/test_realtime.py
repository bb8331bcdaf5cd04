import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

from kinwell.accounts.tests.factories import UserFactory
from kinwell.core.services import notification_send
from kinwell.routing import websocket_urlpatterns

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.anyio]


@pytest.fixture
def anyio_backend():
    return "asyncio"


APP = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))


def _session_cookie(user) -> str:
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "kinwell.accounts.backends.KinwellBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


async def _connect(user=None):
    headers = [(b"origin", b"http://127.0.0.1")]
    if user is not None:
        cookie = await sync_to_async(_session_cookie)(user)
        headers.append((b"cookie", cookie.encode()))
    communicator = WebsocketCommunicator(APP, "/ws/notifications/", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_anonymous_socket_is_closed():
    _communicator, connected, code = await _connect()
    assert not connected
    assert code == 4401


async def test_member_receives_only_their_own_notifications():
    alice = await sync_to_async(UserFactory)()
    bob = await sync_to_async(UserFactory)()
    alice_socket, connected, _ = await _connect(alice)
    assert connected
    bob_socket, connected, _ = await _connect(bob)
    assert connected

    await sync_to_async(notification_send)(user=alice, title="Two-step sign-in is on")
    html = await alice_socket.receive_from(timeout=3)
    assert "Two-step sign-in is on" in html
    assert await bob_socket.receive_nothing(timeout=0.3)

    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_pushed_text_is_escaped():
    alice = await sync_to_async(UserFactory)()
    socket, _, _ = await _connect(alice)
    await sync_to_async(notification_send)(user=alice, title="<script>alert(1)</script>")
    html = await socket.receive_from(timeout=3)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    await socket.disconnect()
