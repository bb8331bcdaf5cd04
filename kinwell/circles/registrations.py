"""How safety finds its way around circles: who looks after a circle, what can be
reported in one, and what the queue calls each kind of text."""

from typing import Any

from kinwell.safety import report_targets, sources, spaces


def _label(circle_id: int) -> str:
    from kinwell.circles.models import Circle

    name = Circle.objects.filter(pk=circle_id).values_list("name", flat=True).first()
    return f"Circle {name}" if name else "A circle that no longer exists"


def _facilitator_ids(circle_id: int) -> list[int]:
    from kinwell.circles.models import Membership

    return list(
        Membership.objects.filter(
            circle_id=circle_id,
            role=Membership.Role.FACILITATOR,
            status=Membership.Status.ACTIVE,
        ).values_list("user_id", flat=True)
    )


def _facilitated_by(user: Any) -> list[int]:
    from kinwell.circles.models import Membership

    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Membership.objects.filter(
            user=user, role=Membership.Role.FACILITATOR, status=Membership.Status.ACTIVE
        ).values_list("circle_id", flat=True)
    )


def _owner(model_name: str) -> Any:
    def owner_of(target_id: int, viewer: Any) -> Any:
        from kinwell.circles import models
        from kinwell.circles.models import Membership, Visibility

        model = getattr(models, model_name)
        item = (
            model.objects.filter(pk=target_id, visibility=Visibility.VISIBLE)
            .select_related("author")
            .first()
        )
        if item is None:
            return None
        member = Membership.objects.filter(
            circle_id=item.circle_id, user=viewer, status=Membership.Status.ACTIVE
        ).exists()
        return item.author if member else None

    return owner_of


def _text(model_name: str) -> Any:
    def text_of(target_id: int) -> str | None:
        from kinwell.circles import models

        model = getattr(models, model_name)
        return model.objects.filter(pk=target_id).values_list("body", flat=True).first()

    return text_of


spaces.register(
    spaces.SpaceKind(
        kind="circle",
        label=_label,
        facilitator_ids=_facilitator_ids,
        spaces_facilitated_by=_facilitated_by,
    )
)
report_targets.register(
    report_targets.TargetKind(
        kind="circle_post", label="a circle post", owner_of=_owner("Post"), text_of=_text("Post")
    )
)
report_targets.register(
    report_targets.TargetKind(
        kind="chat_message",
        label="a chat message",
        owner_of=_owner("ChatMessage"),
        text_of=_text("ChatMessage"),
    )
)
sources.register("circle_post", "Circle post")
sources.register("circle_reply", "Circle reply")
sources.register("chat_message", "Circle chat message")
sources.register("circle_agreements", "Circle agreements (facilitator)")
sources.register("circle_meeting", "Circle meeting details (facilitator)")
