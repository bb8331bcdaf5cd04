from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from kinwell.accounts.roles import has_role
from kinwell.core.services import audit_record
from kinwell.safety import spaces
from kinwell.safety.models import (
    Appeal,
    Block,
    Escalation,
    ModerationDecision,
    Mute,
    Report,
    SafetyPlan,
)

User = get_user_model()


def can_see_queue(user: Any) -> bool:
    return has_role(user, "moderator") or bool(spaces.spaces_facilitated_by(user))


def escalations_for_queue(*, user: Any, state: str = "") -> QuerySet[Escalation]:
    """Moderators see every escalation; facilitators only their spaces'; nobody their own."""
    if has_role(user, "moderator"):
        qs = Escalation.objects.all()
    else:
        mine = spaces.spaces_facilitated_by(user)
        if not mine:
            raise PermissionDenied("The safety queue is for facilitators and moderators.")
        qs = Escalation.objects.filter(space__in=mine)
    qs = qs.exclude(author=user).select_related("author", "owner")
    if state:
        qs = qs.filter(state=state)
    return qs


def escalation_row_for(*, user: Any, escalation_id: int) -> Escalation | None:
    """The queue row (no member text) for a live update, if this user may see it."""
    try:
        return escalations_for_queue(user=user).filter(pk=escalation_id).first()
    except PermissionDenied:
        return None


def escalation_open_for_handler(*, user: Any, escalation_id: int) -> Escalation:
    """Open an escalation with the member's text; every opening is written to the audit log."""
    escalation = escalations_for_queue(user=user).filter(pk=escalation_id).first()
    if escalation is None:
        raise Http404("No such escalation in your queue.")
    audit_record(
        actor=user,
        subject=escalation.author,
        action="read",
        target=f"a {escalation.get_level_display().lower()} message (safety queue)",
    )
    return escalation


def safety_plan_for(*, user: Any) -> SafetyPlan | None:
    return SafetyPlan.objects.filter(user=user).first()


def blocked_ids_for(*, user: Any) -> set[int]:
    """Everyone this member must not meet: blocked by them or blocking them."""
    pairs = Block.objects.filter(Q(blocker=user) | Q(blocked=user)).values_list(
        "blocker_id", "blocked_id"
    )
    return {b if a == user.pk else a for a, b in pairs}


def muted_ids_for(*, user: Any) -> set[int]:
    return set(Mute.objects.filter(muter=user).values_list("muted_id", flat=True))


def member_visible_to(*, viewer: Any, member_id: int) -> Any:
    """Another member's public face (display name, pronouns), unless either blocked the other."""
    member = User.objects.filter(pk=member_id, is_active=True).first()
    if member is None:
        return None
    if viewer.is_authenticated and member.pk in blocked_ids_for(user=viewer):
        return None
    return member


def reports_open(*, user: Any) -> QuerySet[Report]:
    if not has_role(user, "moderator"):
        raise PermissionDenied("Reports are for moderators.")
    return Report.objects.filter(state=Report.State.OPEN).select_related("reported")


def report_for_moderator(*, user: Any, report_id: int) -> Report:
    if not has_role(user, "moderator"):
        raise PermissionDenied("Reports are for moderators.")
    report = Report.objects.select_related("reported").filter(pk=report_id).first()
    if report is None:
        raise Http404("No such report.")
    audit_record(
        actor=user, subject=report.reported, action="reviewed", target="a report about them"
    )
    return report


def decisions_for_member(*, user: Any) -> QuerySet[ModerationDecision]:
    return ModerationDecision.objects.filter(member=user).select_related("appeal")


def decision_for_member(*, user: Any, decision_id: int) -> ModerationDecision:
    decision = ModerationDecision.objects.filter(pk=decision_id, member=user).first()
    if decision is None:
        raise Http404("No such decision.")
    return decision


def appeals_open(*, user: Any) -> QuerySet[Appeal]:
    if not has_role(user, "moderator"):
        raise PermissionDenied("Appeals are for moderators.")
    return Appeal.objects.filter(state=Appeal.State.OPEN).select_related(
        "decision", "member", "decision__moderator"
    )


def posting_paused_until(*, user: Any) -> Any:
    """When a moderator paused this member's posting, until when; None when they may post."""
    from django.utils import timezone

    decision = (
        ModerationDecision.objects.filter(member=user, paused_until__gt=timezone.now())
        .exclude(appeal__state=Appeal.State.OVERTURNED)
        .order_by("-paused_until")
        .first()
    )
    return decision.paused_until if decision else None


def posting_paused_until_many(*, user_ids: set[int]) -> dict[int, Any]:
    """`posting_paused_until` for several members in one query (chat checks a batch)."""
    from django.utils import timezone

    until: dict[int, Any] = {}
    rows = (
        ModerationDecision.objects.filter(member_id__in=user_ids, paused_until__gt=timezone.now())
        .exclude(appeal__state=Appeal.State.OVERTURNED)
        .values_list("member_id", "paused_until")
    )
    for member_id, paused_until in rows:
        if member_id not in until or paused_until > until[member_id]:
            until[member_id] = paused_until
    return until
