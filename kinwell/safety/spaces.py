"""Shared spaces (circles, later others) tell safety who looks after them.

A space is named "kind:id" (e.g. "circle:12"). The app that owns a kind registers how to
find its facilitators, so escalations reach them and the queue shows them only theirs.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SpaceKind:
    kind: str
    label: Callable[[int], str]
    facilitator_ids: Callable[[int], Iterable[int]]
    spaces_facilitated_by: Callable[[Any], Iterable[int]]


_kinds: dict[str, SpaceKind] = {}


def register(kind: SpaceKind) -> None:
    _kinds[kind.kind] = kind


def _split(space: str) -> tuple[SpaceKind, int] | None:
    kind, _, raw_id = space.partition(":")
    if kind not in _kinds or not raw_id.isdigit():
        return None
    return _kinds[kind], int(raw_id)


def label(space: str) -> str:
    parsed = _split(space)
    return parsed[0].label(parsed[1]) if parsed else "Private"


def facilitator_ids(space: str) -> set[int]:
    parsed = _split(space)
    return set(parsed[0].facilitator_ids(parsed[1])) if parsed else set()


def spaces_facilitated_by(user: Any) -> list[str]:
    return [f"{k.kind}:{i}" for k in _kinds.values() for i in k.spaces_facilitated_by(user)]
