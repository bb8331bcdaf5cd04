"""Bad frames on every WebSocket route, through the real ASGI application (config.asgi)
as a user the route accepts: invalid JSON, JSON that is not an object, objects with wrong
types, huge bodies, unknown "type"s, binary frames and deeply nested JSON.

The consumer answers with an error frame (chat) or ignores the frame (notifications,
safety queue); it never crashes: the socket stays open and still works for a valid message
afterwards. Chat rows appear only for the sends the consumer acknowledged."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import cache
from hypothesis import example, given
from hypothesis import strategies as st

from tests.security.fuzz import BIG, FUZZ_MORE, HOSTILE_TEXT
from tests.security.matrix import ALLOW, WS_MATRIX
from tests.security.test_websockets import _connect, _path
from tests.security.world import MODERATOR, OWNER, World, build_world

# Consumers reach the database from other threads: the world must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

CHAT = "ws/circles/<int:circle_id>/chat/"
NOTIFICATIONS = "ws/notifications/"
QUEUE = "ws/safety/queue/"
# Who each route is for (an ALLOW role of the matrix).
AS = {CHAT: OWNER, NOTIFICATIONS: OWNER, QUEUE: MODERATOR}
REPLY_TIMEOUT = 10


def test_every_websocket_route_is_fuzzed():
    assert set(AS) == set(WS_MATRIX)
    assert all(WS_MATRIX[p]["expect"][role] == ALLOW for p, role in AS.items())


# --- frames --------------------------------------------------------------------------------
# A frame is drawn as a short description and built just before sending (`_build`), so a
# failing example prints readably even when the frame is a megabyte.

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
DEPTHS = st.sampled_from([50, 999, 1_500, 100_000])
send_fields = st.fixed_dictionaries(
    {},
    optional={
        "body": st.sampled_from(HOSTILE_TEXT) | st.sampled_from(sorted(BIG)) | json_values,
        "client_id": json_values | st.text(max_size=60) | st.just("<HUGE>"),
    },
)
frame = st.one_of(
    st.tuples(st.just("text"), st.text(max_size=60)),  # mostly not JSON at all
    st.tuples(
        st.just("text"),
        st.sampled_from(["", "{", "[1,", '"open', "NaN", "1e999999", "null", "\x00", '{"type":']),
    ),
    st.tuples(st.just("json"), json_values.filter(lambda v: not isinstance(v, dict))),
    st.tuples(
        st.just("json"), st.fixed_dictionaries({"type": json_values}, optional={"x": json_values})
    ),
    st.tuples(st.just("send"), send_fields),
    st.tuples(st.just("deep"), DEPTHS, st.sampled_from(["list", "object", "body"])),
    st.just(("megabyte",)),
    st.tuples(st.just("bytes"), st.binary(max_size=200)),
    st.just(("bytes", b'{"type": "send", "body": "as bytes"}')),
)
frames = st.lists(frame, min_size=1, max_size=3)


def _deep(depth: int, kind: str) -> str:
    if kind == "list":
        return "[" * depth + "]" * depth
    nested = '{"a":' * depth + "1" + "}" * depth
    return nested if kind == "object" else '{"type": "send", "body": ' + nested + "}"


def _build(description: tuple[Any, ...]) -> dict[str, Any]:
    """The ASGI websocket.receive event for a frame description (sent with send_input:
    the communicator's own send_to refuses the empty frames a real client can send).
    JSON is written with ensure_ascii, so lone surrogates travel as JSON escapes, the
    only way a text frame (UTF-8 on the wire) can carry them."""
    kind = description[0]
    if kind == "text":
        return {"text": description[1]}
    if kind == "json":
        return {"text": json.dumps(description[1])}
    if kind == "send":
        fields = {k: BIG.get(v, v) if isinstance(v, str) else v for k, v in description[1].items()}
        return {"text": json.dumps({"type": "send", **fields})}
    if kind == "deep":
        return {"text": _deep(description[1], description[2])}
    if kind == "megabyte":
        return {"text": "x" * 1_000_000}
    return {"bytes": description[1]}


def _examples(known: list[Any]) -> Callable[[Any], Any]:
    def decorate(test: Any) -> Any:
        for frames in known:
            test = example(frames=frames)(test)
        return test

    return decorate


# --- one event loop per test, one socket per route ------------------------------------------


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


def _run(loop: asyncio.AbstractEventLoop, make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return loop.run_until_complete(make())


async def _reply(socket: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The next frame the consumer sends that is not a broadcast we skip; a close or a
    crash fails the test with what happened."""
    while True:
        output = await socket.receive_output(timeout=REPLY_TIMEOUT)
        assert output["type"] == "websocket.send", f"the socket was closed: {output}"
        data = json.loads(output["text"])
        if data.get("type") not in skip:
            return data


def _chat_ids(world: World) -> set[int]:
    from kinwell.circles.models import ChatMessage

    return set(ChatMessage.objects.filter(circle=world.o["circle"]).values_list("pk", flat=True))


# Frames that broke the chat once, always tried first.
KNOWN_BAD = [
    [("deep", 100_000, "list")],
    [("deep", 1_500, "body")],
    [("send", {"body": "lone \ud800 surrogate", "client_id": "s1"})],
    [("send", {"body": "nul \x00 byte", "client_id": "n1"})],
    [("megabyte",), ("bytes", b"")],
]


class _Errors(logging.Handler):
    """ERROR records of the app's loggers (caplog loses the root handler when importing
    config.asgi configures logging again)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors() -> Iterator[_Errors]:
    handler = _Errors()
    loggers = [logging.getLogger(name) for name in ("kinwell", "django", "channels")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def test_chat_answers_bad_frames_with_an_error_and_keeps_working(loop, errors):
    world = build_world()
    socket, connected, code = _run(loop, lambda: _connect(world, _path(world, CHAT), AS[CHAT]))
    assert connected, code
    sent = [0]

    @FUZZ_MORE
    @given(frames=frames)
    @_examples(KNOWN_BAD)
    def fuzz(frames: list[tuple[Any, ...]]) -> None:
        cache.clear()  # the chat rate limit is per test, not per example
        before = _chat_ids(world)
        logged = len(errors.records)

        async def exchange() -> set[int]:
            acked = set()
            for one in frames:
                await socket.send_input({"type": "websocket.receive", **_build(one)})
                reply = await _reply(socket, skip=("message",))
                assert reply["type"] in ("error", "ack"), f"{one!r:.200}: answered {reply}"
                if reply["type"] == "ack":
                    acked.add(reply["id"])
            # Still alive: a valid message is stored and acknowledged.
            sent[0] += 1
            ok = {"type": "send", "body": f"still here {sent[0]}", "client_id": f"ok-{sent[0]}"}
            await socket.send_to(text_data=json.dumps(ok))
            reply = await _reply(socket, skip=("message",))
            assert reply["type"] == "ack", f"after {frames!r:.300}: {reply}"
            acked.add(reply["id"])
            return acked

        acked = _run(loop, exchange)
        new = _chat_ids(world) - before
        assert new == acked - before, f"{frames!r:.300}: stored {new}, acknowledged {acked}"
        # A caught exception is still a crash of the batch it was in (everyone's messages).
        new_errors = [r.getMessage() for r in errors.records[logged:]]
        assert not new_errors, f"{frames!r:.300}: logged {new_errors}"

    try:
        fuzz()
    finally:
        _run(loop, socket.disconnect)


def test_notifications_socket_ignores_frames_and_still_delivers(loop):
    from kinwell.core.services import notification_send

    world = build_world()
    _ignores_and_delivers(
        loop,
        world,
        NOTIFICATIONS,
        lambda n: sync_to_async(notification_send)(user=world.owner, title=f"fuzz ping {n}"),
        lambda n, text: f"fuzz ping {n}" in text,
    )


def test_safety_queue_socket_ignores_frames_and_still_delivers(loop):
    from kinwell.safety.services import escalation_broadcast

    world = build_world()
    escalation = world.o["escalation_circle"]
    _ignores_and_delivers(
        loop,
        world,
        QUEUE,
        lambda n: sync_to_async(escalation_broadcast)(escalation=escalation),
        lambda n, text: f'id="escalation-{escalation.pk}"' in text,
    )


def _ignores_and_delivers(
    loop: asyncio.AbstractEventLoop,
    world: World,
    pattern: str,
    deliver: Callable[[int], Coroutine[Any, Any, Any]],
    arrived: Callable[[int, str], bool],
) -> None:
    socket, connected, code = _run(
        loop, lambda: _connect(world, _path(world, pattern), AS[pattern])
    )
    assert connected, code
    count = [0]

    @FUZZ_MORE
    @given(frames=frames)
    @_examples(KNOWN_BAD)
    def fuzz(frames: list[tuple[Any, ...]]) -> None:
        count[0] += 1
        n = count[0]

        async def exchange() -> None:
            for one in frames:
                await socket.send_input({"type": "websocket.receive", **_build(one)})
            # Ignored: nothing comes back. Alive: the next event still arrives.
            await deliver(n)
            output = await socket.receive_output(timeout=REPLY_TIMEOUT)
            assert output["type"] == "websocket.send", f"after {frames!r:.300}: {output}"
            assert arrived(n, output["text"]), f"after {frames!r:.300}: got {output['text']:.300}"

        _run(loop, exchange)

    try:
        fuzz()
    finally:
        _run(loop, socket.disconnect)
