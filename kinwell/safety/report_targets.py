"""What can be reported. Apps register their kinds (circle posts, chat messages); each
resolves a target to the member responsible, only if the reporter may see it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TargetKind:
    kind: str
    label: str
    # (target_id, viewer) -> the member responsible, or None when missing or not visible
    owner_of: Callable[[int, Any], Any]
    text_of: Callable[[int], str | None]


_kinds: dict[str, TargetKind] = {}


def register(kind: TargetKind) -> None:
    _kinds[kind.kind] = kind


def owner_of(kind: str, target_id: int, *, viewer: Any) -> Any:
    target = _kinds.get(kind)
    return target.owner_of(target_id, viewer) if target else None


def text_of(kind: str, target_id: int) -> str | None:
    target = _kinds.get(kind)
    return target.text_of(target_id) if target else None


def label(kind: str) -> str:
    target = _kinds.get(kind)
    return target.label if target else kind


def _member_owner(target_id: int, viewer: Any) -> Any:
    from kinwell.safety.selectors import member_visible_to

    return member_visible_to(viewer=viewer, member_id=target_id)


register(
    TargetKind(kind="member", label="a member", owner_of=_member_owner, text_of=lambda _: None)
)
