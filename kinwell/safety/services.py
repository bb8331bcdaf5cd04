"""The one safety service every text path calls, and the writes of the safety app.

`text_screen` runs inside the caller's transaction, before the caller commits: what it
finds (an escalation row) commits or rolls back with the text itself, and others are
told only on commit.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kinwell.accounts.roles import has_role
from kinwell.core.ratelimit import count_many as rate_count_many
from kinwell.core.ratelimit import hit
from kinwell.core.services import audit_record, notification_send
from kinwell.safety import spaces
from kinwell.safety.models import (
    Appeal,
    Block,
    Escalation,
    EscalationNote,
    ModerationDecision,
    Mute,
    Report,
    SafetyPlan,
)

logger = logging.getLogger(__name__)
User = get_user_model()

MAX_ESCALATION_TEXT = 5000
QUEUE_GROUP_ALL = "safety.queue.all"
REPORTS_PER_HOUR = 10
POSTS_PER_MINUTE = 8
POSTS_PER_HOUR = 120
# Chat lines are short and come in bursts in a lively conversation; posts are considered.
CHAT_PER_MINUTE = 30
CHAT_PER_HOUR = 600


class Conflict(ValidationError):
    """The action was already done by someone else; nothing changed."""


@dataclass(frozen=True)
class SafetyOutcome:
    level: str
    reasons: tuple[str, ...] = ()
    escalation_id: int | None = None
    # Urgent text in a shared space waits for the writer to choose whether to post it.
    needs_choice: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def shows_help(self) -> bool:
        return self.level in ("concern", "urgent")


def queue_group_for_space(space: str) -> str:
    return f"safety.queue.space.{space.replace(':', '.')}"


def text_screen(
    *,
    author: Any,
    text: str,
    source_type: str,
    source_id: int | None = None,
    space: str = "",
    posted: bool = True,
) -> SafetyOutcome:
    """Screen a member's text and, when it signals concern or urgency, open an escalation.

    Call inside the transaction that stores the text. The text is never blocked or
    discarded here; for urgent text in a shared space the caller holds the post until
    the writer chooses (`needs_choice`), and the facilitator is told either way.
    """
    from kinwell.safety.screening import screen_text

    return screen_outcome(
        author=author,
        result=screen_text(text or ""),
        text=text,
        source_type=source_type,
        source_id=source_id,
        space=space,
        posted=posted,
    )


def screen_outcome(
    *,
    author: Any,
    result: Any,
    text: str,
    source_type: str,
    source_id: int | None = None,
    space: str = "",
    posted: bool = True,
) -> SafetyOutcome:
    """The half of `text_screen` that acts on a `screen_text` result, for callers that
    screen before they store (chat decides a message's visibility before inserting it)."""
    if result.level == "none":
        return SafetyOutcome(level="none", reasons=result.reasons)
    needs_choice = bool(space) and result.level == "urgent"
    escalation = escalation_open(
        author=author,
        level=result.level,
        source_type=source_type,
        source_id=source_id,
        reasons=list(result.reasons),
        text=text or "",
        space=space,
        posted=posted and not needs_choice,
    )
    return SafetyOutcome(
        level=result.level,
        reasons=result.reasons,
        escalation_id=escalation.pk,
        needs_choice=needs_choice,
    )


def escalation_open(
    *,
    author: Any,
    level: str,
    source_type: str,
    source_id: int | None,
    reasons: list[str],
    text: str,
    space: str = "",
    posted: bool = True,
) -> Escalation:
    """Open an escalation for a signal found outside text screening (a questionnaire
    answer, a report of worry). Call inside the caller's transaction; helpers are told
    on commit."""
    escalation = Escalation.objects.create(
        author=author,
        source_type=source_type,
        source_id=source_id,
        space=space,
        level=level,
        reasons=reasons,
        text=text[:MAX_ESCALATION_TEXT],
        posted=posted,
    )
    transaction.on_commit(lambda: escalation_announce(escalation_id=escalation.pk))
    return escalation


def escalation_announce(*, escalation_id: int) -> None:
    """After commit: update live queues; for urgent ones notify the people who can help."""
    escalation = Escalation.objects.select_related("author").filter(pk=escalation_id).first()
    if escalation is None:
        return
    escalation_broadcast(escalation=escalation)
    if escalation.level != Escalation.Level.URGENT:
        return
    for helper in escalation_helpers(escalation):
        notification_send(
            user=helper,
            title="Urgent: a member may be in crisis",
            body="Please open the safety queue and acknowledge it.",
            url=f"/safety/queue/{escalation.pk}/",
        )
    if settings.ESCALATION_EMAIL:
        from kinwell.safety.tasks import email_urgent_escalation

        email_urgent_escalation.enqueue(escalation_id=escalation.pk)


def escalation_helpers(escalation: Escalation) -> list[Any]:
    """Moderators, plus the facilitators of the space the text was written in."""
    moderator_ids = set(
        User.objects.filter(
            groups__permissions__codename="act_as_moderator", is_active=True
        ).values_list("pk", flat=True)
    )
    ids = moderator_ids | spaces.facilitator_ids(escalation.space)
    ids.discard(escalation.author_id)
    return list(User.objects.filter(pk__in=ids, is_active=True))


def can_handle(user: Any, escalation: Escalation) -> bool:
    if user.pk == escalation.author_id:
        return False
    if has_role(user, "moderator"):
        return True
    return bool(escalation.space) and user.pk in spaces.facilitator_ids(escalation.space)


def _locked_escalation(actor: Any, escalation_id: int) -> Escalation:
    escalation = (
        # Lock only the escalation row: PostgreSQL refuses FOR UPDATE on an outer join.
        Escalation.objects.select_for_update(of=("self",))
        .select_related("owner")
        .filter(pk=escalation_id)
        .first()
    )
    if escalation is None or not can_handle(actor, escalation):
        raise PermissionDenied("This escalation is not in your queue.")
    return escalation


@transaction.atomic
def escalation_acknowledge(*, actor: Any, escalation_id: int) -> Escalation:
    """Take ownership of an open escalation. A second acknowledgement is a Conflict naming
    who got there first, so two helpers never think the other one has it."""
    escalation = _locked_escalation(actor, escalation_id)
    if escalation.state != Escalation.State.OPEN:
        who = escalation.owner.display_name if escalation.owner else "someone"
        when = (
            timezone.localtime(escalation.acknowledged_at).strftime("%H:%M")
            if escalation.acknowledged_at
            else ""
        )
        raise Conflict(f"Already acknowledged by {who}{' at ' + when if when else ''}.")
    escalation.state = Escalation.State.ACKNOWLEDGED
    escalation.owner = actor
    escalation.acknowledged_at = timezone.now()
    escalation.save(update_fields=["state", "owner", "acknowledged_at"])
    transaction.on_commit(lambda: escalation_broadcast(escalation=escalation))
    return escalation


@transaction.atomic
def escalation_resolve(*, actor: Any, escalation_id: int, note: str) -> Escalation:
    escalation = _locked_escalation(actor, escalation_id)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ["Say briefly what was done, so the next person knows."]})
    if escalation.state == Escalation.State.RESOLVED:
        raise Conflict("This escalation is already resolved.")
    now = timezone.now()
    if escalation.state == Escalation.State.OPEN:
        escalation.owner = actor
        escalation.acknowledged_at = now
    escalation.state = Escalation.State.RESOLVED
    escalation.resolved_at = now
    escalation.save(update_fields=["state", "owner", "acknowledged_at", "resolved_at"])
    _note(actor, escalation, note)
    transaction.on_commit(lambda: escalation_broadcast(escalation=escalation))
    return escalation


@transaction.atomic
def escalation_add_note(*, actor: Any, escalation_id: int, text: str) -> EscalationNote:
    escalation = _locked_escalation(actor, escalation_id)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["The note is empty."]})
    return _note(actor, escalation, text)


def _note(actor: Any, escalation: Escalation, text: str) -> EscalationNote:
    audit_record(
        actor=actor, subject=escalation.author, action="added a note to", target="an escalation"
    )
    return EscalationNote.objects.create(
        escalation=escalation, author=actor, author_name=actor.display_name, text=text[:4000]
    )


def escalation_broadcast(*, escalation: Escalation) -> None:
    """Tell open queue pages (all moderators, and the space's facilitators) to redraw a row."""
    layer = get_channel_layer()
    if layer is None:
        return
    groups = [QUEUE_GROUP_ALL]
    if escalation.space:
        groups.append(queue_group_for_space(escalation.space))
    for group in groups:
        try:
            async_to_sync(layer.group_send)(
                group, {"type": "escalation.changed", "id": escalation.pk}
            )
        except Exception:
            logger.warning("could not update live queue", exc_info=True)


@transaction.atomic
def escalation_record_choice(*, author: Any, escalation_id: int, posted: bool) -> Escalation:
    """The writer decided whether their urgent text goes to the shared space."""
    escalation = (
        Escalation.objects.select_for_update().filter(pk=escalation_id, author=author).first()
    )
    if escalation is None:
        raise PermissionDenied("This is not your message.")
    escalation.posted = posted
    escalation.save(update_fields=["posted"])
    return escalation


def posting_check(*, user: Any, kind: str = "post") -> str:
    """Return why this member cannot post to a shared space right now, or "" when they can.

    Counts one post attempt. Shared-space services call it before storing; private writing
    (check-ins, journal, the safety plan) is never limited, and a limited member still
    gets help: callers screen the text first and show help whatever this says.
    """
    return posting_check_many(authors=[user], kind=kind)[0]


def posting_check_many(*, authors: list[Any], kind: str = "post") -> list[str]:
    """`posting_check` for a batch of attempts in order (one author may appear many
    times): one query for moderators' pauses and one cache round trip per window."""
    from kinwell.safety.selectors import posting_paused_until_many

    paused = posting_paused_until_many(user_ids={a.pk for a in authors})
    reasons = [""] * len(authors)
    positions: dict[int, list[int]] = {}
    for index, author in enumerate(authors):
        until = paused.get(author.pk)
        if until is not None:
            when = timezone.localtime(until).strftime("%d %b, %H:%M")
            reasons[index] = (
                f"A moderator paused your posting until {when}. You can still check in, write "
                "in your journal and use Get help now. See Moderation decisions for the reason."
            )
        else:
            positions.setdefault(author.pk, []).append(index)
    limits = (
        ((CHAT_PER_MINUTE, 60, "minute"), (CHAT_PER_HOUR, 3600, "hour"))
        if kind == "chat"
        else ((POSTS_PER_MINUTE, 60, "minute"), (POSTS_PER_HOUR, 3600, "hour"))
    )
    # One cache round trip per window for the whole batch: the minute first, then the hour
    # for the attempts the minute allowed (as one attempt at a time would count them).
    for limit, window, words in limits:
        authors_now = [a for a, indexes in positions.items() if indexes]
        if not authors_now:
            break
        counted = rate_count_many(
            [(f"{kind}:{window}:{a}", window, len(positions[a])) for a in authors_now]
        )
        for author_id, (total, wait) in zip(authors_now, counted, strict=True):
            indexes = positions[author_id]
            # The n-th attempt of this batch is attempt (total - len + n) in the window.
            first = total - len(indexes) + 1
            allowed = []
            for offset, index in enumerate(indexes):
                if first + offset <= limit:
                    allowed.append(index)
                else:
                    reasons[index] = (
                        f"You have posted {limit} times in the last {words}. Take a breath; you "
                        f"can post again in {wait} second{'s' if wait != 1 else ''}."
                    )
            positions[author_id] = allowed
    return reasons


# --- Safety plan ----------------------------------------------------------------------


@transaction.atomic
def safety_plan_save(*, user: Any, **fields: Any) -> SafetyPlan:
    """Save the member's own plan. The plan is not screened: naming warning signs is its
    point, and escalating someone for writing their plan would punish planning."""
    plan, _ = SafetyPlan.objects.get_or_create(user=user)
    for name, value in fields.items():
        if not hasattr(plan, name) or name in {"id", "user", "user_id", "updated_at"}:
            raise ValidationError(f"Unknown safety plan field {name!r}.")
        setattr(plan, name, value.strip() if isinstance(value, str) else value)
    plan.full_clean()
    plan.save()
    return plan


# --- Blocks and mutes -----------------------------------------------------------------


def _other_member(actor: Any, other_id: int) -> Any:
    other = User.objects.filter(pk=other_id, is_active=True).first()
    if other is None:
        raise ValidationError("That member does not exist.")
    if other.pk == actor.pk:
        raise ValidationError("You cannot do that to yourself.")
    return other


@transaction.atomic
def block_create(*, actor: Any, other_id: int) -> Block:
    """Hide both ways; matching reads blocks as exclusions in both directions."""
    other = _other_member(actor, other_id)
    block, _ = Block.objects.get_or_create(blocker=actor, blocked=other)
    Mute.objects.filter(muter=actor, muted=other).delete()
    return block


@transaction.atomic
def block_remove(*, actor: Any, other_id: int) -> None:
    Block.objects.filter(blocker=actor, blocked_id=other_id).delete()


@transaction.atomic
def mute_create(*, actor: Any, other_id: int) -> Mute:
    other = _other_member(actor, other_id)
    mute, _ = Mute.objects.get_or_create(muter=actor, muted=other)
    return mute


@transaction.atomic
def mute_remove(*, actor: Any, other_id: int) -> None:
    Mute.objects.filter(muter=actor, muted_id=other_id).delete()


# --- Reports, decisions, appeals ------------------------------------------------------


@transaction.atomic
def report_create(
    *, reporter: Any, target_type: str, target_id: int, reason: str, details: str = ""
) -> Report:
    """File a report. A report of worry for someone's safety also opens an escalation, so a
    human checks on them: it can never lead to a sanction."""
    from kinwell.safety import report_targets

    if reason not in Report.Reason.values:
        raise ValidationError({"reason": ["Choose a reason from the list."]})
    reported = report_targets.owner_of(target_type, target_id, viewer=reporter)
    if reported is None:
        raise ValidationError("There is nothing to report there, or you cannot see it.")
    if reported.pk == reporter.pk:
        raise ValidationError("You cannot report yourself.")
    wait = hit(key=f"report:{reporter.pk}", limit=REPORTS_PER_HOUR, window_seconds=3600)
    if wait:
        raise ValidationError(
            f"You have sent {REPORTS_PER_HOUR} reports in the last hour. Thank you for looking "
            f"out for others; please wait {wait // 60 + 1} minutes before sending more. "
            "If someone is in danger now, use Get help now."
        )
    report = Report.objects.create(
        reporter=reporter,
        reported=reported,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        details=(details or "").strip()[:2000],
    )
    if report.details:
        text_screen(
            author=reporter, text=report.details, source_type="report_details", source_id=report.pk
        )
    if reason == Report.Reason.SAFETY:
        escalation_open(
            author=reported,
            level=Escalation.Level.CONCERN,
            source_type="report",
            source_id=report.pk,
            reasons=["a member is worried about this person's safety"],
            text=report_targets.text_of(target_type, target_id) or report.details or "(no text)",
        )
    return report


@transaction.atomic
def report_decide(
    *,
    moderator: Any,
    report_id: int,
    action: str,
    rule: str,
    reason: str,
    pause_days: int = 0,
) -> ModerationDecision:
    """Decide a report. The member sees the rule and the reason and may appeal once.

    Distress is never a reason: safety reports can only be closed with no action, and any
    action other than "no action" must name a broken rule.
    """
    if not has_role(moderator, "moderator"):
        raise PermissionDenied("Only moderators decide reports.")
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise ValidationError("That report does not exist.")
    if report.state == Report.State.DECIDED:
        raise Conflict("This report was already decided.")
    if action not in ModerationDecision.Action.values or rule not in ModerationDecision.Rule.values:
        raise ValidationError("Choose an action and a rule from the lists.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Write the reason the member will see."]})
    if action != ModerationDecision.Action.NO_ACTION and rule == ModerationDecision.Rule.NONE:
        raise ValidationError({"rule": ["Name the rule that was broken, or choose no action."]})
    if report.reason == Report.Reason.SAFETY and action != ModerationDecision.Action.NO_ACTION:
        raise ValidationError(
            "A report of worry for someone's safety cannot lead to a sanction. "
            "It opened an escalation so that someone checks on them."
        )
    if report.reported_id == moderator.pk:
        raise PermissionDenied("Another moderator must decide reports about you.")
    paused_until = None
    if action == ModerationDecision.Action.POSTING_PAUSED:
        if not 1 <= pause_days <= 30:
            raise ValidationError({"pause_days": ["A pause lasts from 1 to 30 days."]})
        paused_until = timezone.now() + timedelta(days=pause_days)
    decision = ModerationDecision.objects.create(
        report=report,
        member=report.reported,
        moderator=moderator,
        action=action,
        rule=rule,
        reason=reason[:2000],
        paused_until=paused_until,
    )
    report.state = Report.State.DECIDED
    report.save(update_fields=["state"])
    audit_record(actor=moderator, subject=report.reported, action="decided", target="a report")
    if action != ModerationDecision.Action.NO_ACTION:
        notification_send(
            user=report.reported,
            title="A moderator made a decision about your account",
            body="See the reason, and appeal once if you think it is wrong.",
            url="/safety/decisions/",
        )
    return decision


@transaction.atomic
def appeal_create(*, member: Any, decision_id: int, text: str) -> Appeal:
    decision = (
        ModerationDecision.objects.select_for_update().filter(pk=decision_id, member=member).first()
    )
    if decision is None:
        raise PermissionDenied("This decision is not about you.")
    if decision.action == ModerationDecision.Action.NO_ACTION:
        raise ValidationError("There is nothing to appeal: no action was taken.")
    if Appeal.objects.filter(decision=decision).exists():
        raise Conflict("You have already appealed this decision. Each decision has one appeal.")
    text = (text or "").strip()
    if not text:
        raise ValidationError(
            {"text": ["Tell the moderators why you think the decision is wrong."]}
        )
    appeal = Appeal.objects.create(decision=decision, member=member, text=text[:4000])
    text_screen(author=member, text=text, source_type="appeal", source_id=appeal.pk)
    return appeal


@transaction.atomic
def appeal_decide(*, reviewer: Any, appeal_id: int, overturn: bool, reason: str) -> Appeal:
    """Review an appeal: by a different moderator than the one who decided, when one exists."""
    if not has_role(reviewer, "moderator"):
        raise PermissionDenied("Only moderators review appeals.")
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("decision")
        .filter(pk=appeal_id)
        .first()
    )
    if appeal is None:
        raise ValidationError("That appeal does not exist.")
    if appeal.state != Appeal.State.OPEN:
        raise Conflict("This appeal was already reviewed.")
    if appeal.member_id == reviewer.pk:
        raise PermissionDenied("You cannot review your own appeal.")
    others = User.objects.filter(
        groups__permissions__codename="act_as_moderator", is_active=True
    ).exclude(pk__in=[appeal.decision.moderator_id, appeal.member_id])
    if appeal.decision.moderator_id == reviewer.pk and others.exists():
        raise PermissionDenied("Another moderator should review an appeal of your own decision.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Write the reason the member will see."]})
    appeal.state = Appeal.State.OVERTURNED if overturn else Appeal.State.UPHELD
    appeal.reviewer = reviewer
    appeal.outcome_reason = reason[:2000]
    appeal.decided_at = timezone.now()
    appeal.save()
    if overturn and appeal.decision.paused_until:
        appeal.decision.paused_until = None
        appeal.decision.save(update_fields=["paused_until"])
    notification_send(
        user=appeal.member,
        title="Your appeal was reviewed",
        body="The decision was reversed." if overturn else "The decision stands.",
        url="/safety/decisions/",
    )
    return appeal
