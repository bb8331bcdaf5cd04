"""Writes for circles: join requests, matching, agreements, posts, chat, "I see you"."""

import dataclasses
import functools
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from kinwell.accounts.roles import has_role
from kinwell.circles import focus, matching
from kinwell.circles.models import (
    CHAT_MAX,
    CIRCLE_MAX,
    POST_MAX,
    Acknowledgement,
    Agreement,
    ChatMessage,
    CheckInShare,
    Circle,
    JoinRequest,
    Meeting,
    Membership,
    Partnership,
    Post,
    Stage,
    Visibility,
)
from kinwell.circles.slots import to_utc_slots, utc_offset_hours
from kinwell.core.services import audit_record, notification_send
from kinwell.safety.selectors import blocked_ids_for
from kinwell.safety.services import SafetyOutcome, posting_check, text_screen

logger = logging.getLogger(__name__)
User = get_user_model()

AGREEMENTS_FILE = Path(__file__).parent / "data" / "agreements.md"
CIRCLE_NAMES = [
    "Cedar", "Harbour", "Lantern", "Willow", "Meadow", "Ember", "River Stone", "Kestrel",
    "Hearth", "Juniper", "Tidepool", "Aspen", "Bramble", "Lighthouse", "Fernbank", "Saltmarsh",
    "Orchard", "Moorland", "Birch", "Quarry Pool",
]  # fmt: skip


def space_of(circle_id: int) -> str:
    return f"circle:{circle_id}"


def chat_group(circle_id: int) -> str:
    return f"circle.{circle_id}.chat"


def default_agreements() -> str:
    return AGREEMENTS_FILE.read_text(encoding="utf-8").strip()


# --- Joining and matching -------------------------------------------------------------


@transaction.atomic
def join_request_create(
    *,
    user: Any,
    focus_slug: str,
    language: str,
    days: list[str],
    times: list[str],
    stage: str,
    never_meet: list[str] | None = None,
) -> JoinRequest:
    """Ask to join a circle. One open request per member; matching runs on commit.

    `never_meet` holds display names; names that match no one are ignored, so the form
    never reveals whether a name exists.
    """
    if focus_slug not in {area.slug for area in focus.focus_areas()}:
        raise ValidationError({"focus": "Choose one of the focus areas listed."})
    if stage not in Stage.values:
        raise ValidationError({"stage": "Choose where you are in your recovery."})
    slots = to_utc_slots(days, times, user)
    if not slots:
        raise ValidationError(
            {"days": "Choose at least one day and one time you could meet each week."}
        )
    if JoinRequest.objects.filter(user=user, status=JoinRequest.Status.WAITING).exists():
        raise ValidationError(
            "You already asked to join a circle. We will place you as soon as a circle fits; "
            "you can withdraw that request first if you want to change it."
        )
    if Membership.objects.filter(
        user=user, status=Membership.Status.ACTIVE, circle__focus=focus_slug
    ).exists():
        raise ValidationError({"focus": "You are already in a circle for this focus."})
    request = JoinRequest.objects.create(
        user=user,
        focus=focus_slug,
        language=language,
        utc_offset=utc_offset_hours(user),
        slots=slots,
        stage=stage,
    )
    names = [n.strip() for n in (never_meet or []) if n.strip()]
    if names:
        query = Q()
        for name in names[:20]:
            query |= Q(display_name__iexact=name)
        request.exclude.set(User.objects.filter(query).exclude(pk=user.pk))
    transaction.on_commit(lambda: _match_quietly(focus_slug, language))
    return request


def _match_quietly(focus_slug: str, language: str) -> None:
    try:
        circles_match(focus_slug=focus_slug, language=language)
    except Exception:
        # The request is stored and waits; the next run (or a moderator) places it.
        logger.exception("matching after a join request failed")


@transaction.atomic
def join_request_withdraw(*, user: Any, request_id: int) -> None:
    updated = JoinRequest.objects.filter(
        pk=request_id, user=user, status=JoinRequest.Status.WAITING
    ).update(status=JoinRequest.Status.WITHDRAWN)
    if not updated:
        raise ValidationError("That request is no longer waiting.")


@transaction.atomic
def circles_match(
    *, focus_slug: str | None = None, language: str | None = None, actor: Any = None
) -> matching.MatchResult:
    """Place waiting members into circles with space first, then into new circles.

    Waiting requests are locked for the run, so two runs never place someone twice.
    """
    if actor is not None and not has_role(actor, "moderator"):
        raise PermissionDenied("Only moderators run matching by hand.")
    waiting = JoinRequest.objects.select_for_update(of=("self",)).filter(
        status=JoinRequest.Status.WAITING
    )
    if focus_slug:
        waiting = waiting.filter(focus=focus_slug)
    if language:
        waiting = waiting.filter(language=language)
    requests = list(waiting.prefetch_related("exclude"))
    if not requests:
        return matching.MatchResult((), (), ())
    by_user = {str(r.user_id): r for r in requests}
    pool = []
    skipped: list[str] = []
    # Someone who left a circle (or was removed) is not placed with its people again.
    left: dict[int, set[int]] = {}
    ended = Membership.objects.filter(
        user_id__in=[r.user_id for r in requests],
        status__in=[Membership.Status.LEFT, Membership.Status.REMOVED],
    ).values_list("user_id", "circle_id")
    for user_id, circle_id in ended:
        left.setdefault(user_id, set()).update(
            Membership.objects.filter(circle_id=circle_id).values_list("user_id", flat=True)
        )
    for r in requests:
        named = (
            {u.pk for u in r.exclude.all()}
            | blocked_ids_for(user=r.user)
            | (left.get(r.user_id, set()) - {r.user_id})
        )
        try:
            pool.append(
                matching.Request(
                    id=str(r.user_id),
                    focus=r.focus,
                    language=r.language,
                    utc_offset=r.utc_offset,
                    slots=frozenset(r.slots),
                    stage=r.stage,
                    exclude=frozenset(str(i) for i in named),
                )
            )
        except matching.MatchInputError as exc:
            # A request the join form could not have stored (edited by hand, say) waits
            # and is reported; it never stops everyone else being matched.
            logger.warning("join request left waiting: %s", exc)
            skipped.append(str(r.user_id))
    partitions = {(r.focus, r.language) for r in requests}
    existing = []
    for circle in Circle.objects.filter(is_open=True).prefetch_related("memberships__user"):
        if (circle.focus, circle.language) not in partitions:
            continue
        members = [
            m
            for m in circle.memberships.all()
            if m.status == Membership.Status.ACTIVE and m.role == Membership.Role.MEMBER
        ]
        if len(members) >= CIRCLE_MAX or any(str(m.user_id) in by_user for m in members):
            continue
        existing.append(
            matching.ExistingCircle(
                id=str(circle.pk),
                focus=circle.focus,
                language=circle.language,
                slot=circle.slot,
                members=tuple(
                    matching.Member(
                        id=str(m.user_id),
                        exclude=frozenset(str(i) for i in blocked_ids_for(user=m.user)),
                        stage=m.stage or None,
                    )
                    for m in members
                ),
            )
        )
    result = matching.match(pool, existing)
    now = timezone.now()
    for addition in result.additions:
        circle = Circle.objects.get(pk=int(addition.label))
        _seat(circle, [by_user[i] for i in addition.members], now)
    taken = set(Circle.objects.values_list("name", flat=True))
    for new in result.circles:
        circle = Circle.objects.create(
            name=_circle_name(taken), focus=new.focus, language=new.language, slot=new.slot
        )
        taken.add(circle.name)
        Agreement.objects.create(circle=circle, version=1, text=default_agreements())
        _seat(circle, [by_user[i] for i in new.members], now)
    if skipped:
        return matching.MatchResult(
            result.additions, result.circles, result.unmatched + tuple(skipped)
        )
    return result


def _circle_name(taken: set[str]) -> str:
    for round_number in range(1, 1000):
        for base in CIRCLE_NAMES:
            name = base if round_number == 1 else f"{base} {round_number}"
            if name not in taken:
                return name
    return f"Circle {len(taken) + 1}"


def _seat(circle: Circle, requests: list[JoinRequest], now: Any) -> None:
    for request in requests:
        Membership.objects.update_or_create(
            circle=circle,
            user=request.user,
            defaults={
                "status": Membership.Status.ACTIVE,
                "role": Membership.Role.MEMBER,
                "stage": request.stage,
                "ended_at": None,
            },
        )
        request.status = JoinRequest.Status.PLACED
        request.circle = circle
        request.placed_at = now
        request.save(update_fields=["status", "circle", "placed_at"])
        notification_send(
            user=request.user,
            title=f"You have a circle: {circle.name}",
            body="Read the circle's agreements to join in.",
            url=reverse("circles:agreements", args=[circle.pk]),
        )


# --- Agreements and membership --------------------------------------------------------


def _membership(user: Any, circle_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("circle")
        .filter(circle_id=circle_id, user=user, status=Membership.Status.ACTIVE)
        .first()
    )
    if membership is None:
        raise PermissionDenied("You are not a member of this circle.")
    return membership


def current_version(circle: Circle) -> int:
    return (
        Agreement.objects.filter(circle=circle)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
        or 0
    )


@transaction.atomic
def agreement_accept(*, user: Any, circle_id: int, version: int) -> Membership:
    membership = _membership(user, circle_id)
    latest = current_version(membership.circle)
    if version != latest:
        raise ValidationError(
            "The agreements changed while you were reading. Please read the new version."
        )
    membership.agreed_version = latest
    membership.agreed_at = timezone.now()
    membership.save(update_fields=["agreed_version", "agreed_at"])
    return membership


def is_facilitator(user: Any, circle_id: int) -> bool:
    return Membership.objects.filter(
        circle_id=circle_id,
        user=user,
        role=Membership.Role.FACILITATOR,
        status=Membership.Status.ACTIVE,
    ).exists()


@transaction.atomic
def agreement_update(*, actor: Any, circle_id: int, text: str) -> Agreement:
    """A facilitator publishes a new version; every member accepts it before taking part."""
    if not is_facilitator(actor, circle_id):
        raise PermissionDenied("Only this circle's facilitator can change its agreements.")
    text = (text or "").strip()
    if len(text) < 40:
        raise ValidationError({"text": "Write the agreements out in full (at least a few lines)."})
    if len(text) > 10000:
        raise ValidationError({"text": "Keep the agreements under 10,000 characters."})
    circle = Circle.objects.select_for_update().get(pk=circle_id)
    agreement = Agreement.objects.create(
        circle=circle, version=current_version(circle) + 1, text=text, written_by=actor
    )
    # Facilitators' words are screened like everyone's; help reaches them too.
    text_screen(author=actor, text=text, source_type="circle_agreements", source_id=agreement.pk)
    Membership.objects.filter(circle=circle, user=actor, status=Membership.Status.ACTIVE).update(
        agreed_version=agreement.version, agreed_at=timezone.now()
    )
    for membership in (
        Membership.objects.filter(circle=circle, status=Membership.Status.ACTIVE)
        .exclude(user=actor)
        .select_related("user")
    ):
        notification_send(
            user=membership.user,
            title=f"{circle.name} has updated agreements",
            body="Please read them before you post again.",
            url=reverse("circles:agreements", args=[circle.pk]),
        )
    return agreement


@transaction.atomic
def facilitator_assign(*, actor: Any, circle_id: int, user_id: int) -> Membership:
    if not has_role(actor, "moderator"):
        raise PermissionDenied("Only moderators assign facilitators.")
    facilitator = User.objects.filter(pk=user_id, is_active=True).first()
    if facilitator is None or not has_role(facilitator, "facilitator"):
        raise ValidationError({"user": "Choose someone who has the facilitator role."})
    circle = Circle.objects.get(pk=circle_id)
    membership, _ = Membership.objects.update_or_create(
        circle=circle,
        user=facilitator,
        defaults={
            "role": Membership.Role.FACILITATOR,
            "status": Membership.Status.ACTIVE,
            "agreed_version": current_version(circle),
            "agreed_at": timezone.now(),
            "ended_at": None,
        },
    )
    return membership


@transaction.atomic
def membership_leave(*, user: Any, circle_id: int) -> None:
    membership = _membership(user, circle_id)
    membership.status = Membership.Status.LEFT
    membership.ended_at = timezone.now()
    membership.save(update_fields=["status", "ended_at"])
    transaction.on_commit(lambda: _tell_sockets_removed(circle_id, user.pk))


@transaction.atomic
def membership_remove(*, actor: Any, circle_id: int, user_id: int, reason: str) -> None:
    """A facilitator (or moderator) removes a member; their open chat closes at once."""
    if not (is_facilitator(actor, circle_id) or has_role(actor, "moderator")):
        raise PermissionDenied("Only the facilitator or a moderator can remove a member.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why, so the member understands."})
    membership = (
        Membership.objects.filter(
            circle_id=circle_id, user_id=user_id, status=Membership.Status.ACTIVE
        )
        .select_related("user", "circle")
        .first()
    )
    if membership is None:
        raise ValidationError("That person is not in this circle.")
    membership.status = Membership.Status.REMOVED
    membership.ended_at = timezone.now()
    membership.save(update_fields=["status", "ended_at"])
    audit_record(
        actor=actor,
        subject=membership.user,
        action="removed from circle",
        target=membership.circle.name,
        reason=reason.strip(),
    )
    notification_send(
        user=membership.user,
        title=f"You are no longer in {membership.circle.name}",
        body=reason.strip()[:400],
        url=reverse("circles:index"),
    )
    transaction.on_commit(lambda: _tell_sockets_removed(circle_id, user_id))


def _tell_sockets_removed(circle_id: int, user_id: int) -> None:
    _group_send(chat_group(circle_id), {"type": "member.removed", "user_id": user_id})


def _group_send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        logger.warning("could not reach live chat for %s", group, exc_info=True)


# --- Posts ----------------------------------------------------------------------------


def _may_take_part(user: Any, circle_id: int) -> Membership:
    # One query for the membership and the circle's newest agreements: chat calls this on
    # every message.
    latest = (
        Agreement.objects.filter(circle=OuterRef("circle_id"))
        .order_by("-version")
        .values("version")[:1]
    )
    membership = (
        Membership.objects.select_related("circle")
        .annotate(latest_version=Subquery(latest))
        .filter(circle_id=circle_id, user=user, status=Membership.Status.ACTIVE)
        .first()
    )
    if membership is None:
        raise PermissionDenied("You are not a member of this circle.")
    if membership.agreed_version < (membership.latest_version or 0):
        raise PermissionDenied("Please read and accept the circle's agreements first.")
    return membership


def _may_write(user: Any, circle_id: int) -> Membership:
    membership = _may_take_part(user, circle_id)
    if membership.muted_until and membership.muted_until > timezone.now():
        raise ValidationError(_mute_reason(membership))
    return membership


def _mute_reason(membership: Membership) -> str:
    when = timezone.localtime(membership.muted_until).strftime("%d %b, %H:%M")
    reason = f" The reason given: {membership.mute_reason}" if membership.mute_reason else ""
    return (
        f"Your facilitator paused your posting in this circle until {when}.{reason} You "
        "can still read, acknowledge others, check in and use Get help now."
    )


def _clean_text(body: str, limit: int, what: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": f"Write something before you send your {what}."})
    if len(body) > limit:
        raise ValidationError(
            {"body": f"Keep your {what} under {limit:,} characters ({len(body):,} now)."}
        )
    # NUL (PostgreSQL refuses it) and lone surrogates (no database can store them) arrive
    # only from a broken or hostile client over the socket; refused here, they cannot fail
    # the whole chat batch they were written in.
    if "\x00" in body or (not body.isascii() and not _encodable(body)):
        raise ValidationError({"body": f"Your {what} has characters that cannot be stored."})
    return body


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@transaction.atomic
def post_create(
    *, author: Any, circle_id: int, body: str, parent_id: int | None = None
) -> tuple[Post, SafetyOutcome]:
    """Store a post or reply, screened in the same transaction.

    Urgent words are kept but held until the writer chooses whether the circle sees them;
    help is shown to the writer either way and the facilitator is told.
    """
    _may_write(author, circle_id)
    body = _clean_text(body, POST_MAX, "reply" if parent_id else "post")
    parent = None
    if parent_id is not None:
        parent = Post.objects.filter(
            pk=parent_id, circle_id=circle_id, visibility=Visibility.VISIBLE, is_reply=False
        ).first()
        if parent is None:
            raise ValidationError("That post is no longer here to reply to.")
    paused = posting_check(user=author)
    if paused:
        raise ValidationError(paused)
    post = Post.objects.create(
        circle_id=circle_id, author=author, parent=parent, is_reply=parent is not None, body=body
    )
    outcome = text_screen(
        author=author,
        text=body,
        source_type="circle_reply" if parent else "circle_post",
        source_id=post.pk,
        space=space_of(circle_id),
    )
    if outcome.needs_choice:
        post.visibility = Visibility.HELD
        post.save(update_fields=["visibility"])
    elif parent is not None and parent.author_id != author.pk:
        notification_send(
            user=parent.author,
            title=f"{author.display_name} replied to your post",
            url=reverse("circles:post", args=[circle_id, parent.pk]),
        )
    return post, outcome


@transaction.atomic
def held_choose(*, author: Any, kind: str, item_id: int, share: bool) -> Post | ChatMessage:
    """The writer of held words decides: share them with the circle, or keep them private."""
    from kinwell.safety.models import Escalation
    from kinwell.safety.services import escalation_record_choice

    model = Post if kind == "post" else ChatMessage
    item = model.objects.select_for_update().filter(pk=item_id, author=author).first()
    if item is None:
        raise PermissionDenied("This is not your message.")
    if item.visibility != Visibility.HELD:
        raise ValidationError("You already chose what happens to this message.")
    item.visibility = Visibility.VISIBLE if share else Visibility.PRIVATE
    item.save(update_fields=["visibility"])
    source_types = ("circle_post", "circle_reply") if kind == "post" else ("chat_message",)
    escalation = Escalation.objects.filter(
        author=author, source_type__in=source_types, source_id=item.pk
    ).first()
    if escalation is not None:
        escalation_record_choice(author=author, escalation_id=escalation.pk, posted=share)
    if share and isinstance(item, ChatMessage):
        message = item
        transaction.on_commit(lambda: broadcast_message(message))
    return item


@transaction.atomic
def ack_toggle(
    *,
    user: Any,
    post_id: int | None = None,
    message_id: int | None = None,
    share_id: int | None = None,
    response: str = Acknowledgement.Response.SEE,
) -> str:
    """Acknowledge a post, chat message or shared check-in in a circle the member belongs
    to, with one of a
    few short responses ("I see you", "I'm with you", "Me too", "Thank you").

    Returns the response now given, or "" when the same response was taken back. Choosing
    another response replaces the first. Acknowledging your own words is not offered: the
    point is to let someone else know they were noticed.
    """
    if response not in Acknowledgement.Response.values:
        raise ValidationError("Choose one of the responses offered.")
    target: Post | ChatMessage | CheckInShare | None
    if post_id is not None:
        target = Post.objects.filter(pk=post_id, visibility=Visibility.VISIBLE).first()
    elif message_id is not None:
        target = ChatMessage.objects.filter(pk=message_id, visibility=Visibility.VISIBLE).first()
    elif share_id is not None:
        target = CheckInShare.objects.select_related("checkin__user").filter(pk=share_id).first()
    else:
        raise ValidationError("Say what you are acknowledging.")
    if target is None:
        raise ValidationError("That is no longer shared here.")
    _may_take_part(user, target.circle_id)
    author = target.checkin.user if isinstance(target, CheckInShare) else target.author
    if author.pk == user.pk:
        raise ValidationError("This is your own message.")
    lookup: dict[str, Any]
    if isinstance(target, Post):
        lookup = {"post": target}
    elif isinstance(target, ChatMessage):
        lookup = {"message": target}
    else:
        lookup = {"share": target}
    existing = Acknowledgement.objects.select_for_update().filter(user=user, **lookup).first()
    if existing is not None:
        if existing.response == response:
            existing.delete()
            return ""
        existing.response = response
        existing.save(update_fields=["response"])
        return response
    try:
        with transaction.atomic():
            Acknowledgement.objects.create(user=user, response=response, **lookup)
    except IntegrityError:
        return response
    if isinstance(target, Post):
        url = reverse("circles:post", args=[target.circle_id, target.pk])
    elif isinstance(target, ChatMessage):
        url = reverse("circles:circle", args=[target.circle_id]) + f"#message-{target.pk}"
    else:
        url = reverse("circles:circle", args=[target.circle_id]) + f"#share-{target.pk}"
    label = Acknowledgement.Response(response).label
    notification_send(
        user=author,
        title=f"{user.display_name}: {label}",
        body="Someone in your circle noticed what you shared.",
        url=url,
    )
    return response


# --- Chat -----------------------------------------------------------------------------


@dataclass
class ChatDraft:
    author: Any
    circle_id: int
    body: str
    client_id: str = ""


@dataclass
class ChatResult:
    message: ChatMessage | None = None
    outcome: SafetyOutcome = dataclasses.field(default_factory=lambda: SafetyOutcome(level="none"))
    created: bool = False
    # PermissionDenied (not a member any more) or ValidationError (a clear reason to show).
    error: Exception | None = None


def chat_send(
    *, author: Any, circle_id: int, body: str, client_id: str = ""
) -> tuple[ChatMessage, SafetyOutcome, bool]:
    """Store a chat message durably and screen it; returns (message, outcome, created).

    The caller broadcasts after commit (consumers do it themselves, to skip a hop). A
    resend with the same client id returns the stored message instead of a second copy.
    """
    result = chat_send_many([ChatDraft(author, circle_id, body, client_id)])[0]
    if result.error is not None:
        raise result.error
    assert result.message is not None
    return result.message, result.outcome, result.created


def chat_send_many(drafts: list[ChatDraft]) -> list[ChatResult]:
    """Store a batch of chat messages, each with the same checks as one, in one transaction.

    Live chat sends every message that arrives while the previous batch is being written as
    the next batch (group commit): the membership, mute, pause and resend checks are one
    query each for the whole batch, and there is one commit, so the cost per message stays
    small under load. Each draft gets its own result; one refused draft never affects the
    others. Every stored message is screened in the transaction that stores it.
    """
    from kinwell.safety.services import posting_check_many

    results = [ChatResult() for _ in drafts]
    if not drafts:
        return results
    latest = (
        Agreement.objects.filter(circle=OuterRef("circle_id"))
        .order_by("-version")
        .values("version")[:1]
    )
    memberships = {
        (m.user_id, m.circle_id): m
        for m in Membership.objects.annotate(latest_version=Subquery(latest)).filter(
            user_id__in={d.author.pk for d in drafts},
            circle_id__in={d.circle_id for d in drafts},
            status=Membership.Status.ACTIVE,
        )
    }
    now = timezone.now()
    checked: list[int] = []
    for index, draft in enumerate(drafts):
        membership = memberships.get((draft.author.pk, draft.circle_id))
        try:
            if membership is None:
                raise PermissionDenied("You are not a member of this circle.")
            if membership.agreed_version < (membership.latest_version or 0):
                raise PermissionDenied("Please read and accept the circle's agreements first.")
            if membership.muted_until and membership.muted_until > now:
                raise ValidationError(_mute_reason(membership))
            draft.body = _clean_text(draft.body, CHAT_MAX, "message")
            draft.client_id = (draft.client_id or "")[:40]
        except (PermissionDenied, ValidationError) as exc:
            results[index].error = exc
            continue
        checked.append(index)
    reasons = posting_check_many(authors=[drafts[i].author for i in checked], kind="chat")
    to_store: list[int] = []
    for index, reason in zip(checked, reasons, strict=True):
        if reason:
            results[index].error = ValidationError(reason)
        else:
            to_store.append(index)
    repeats = _chat_repeats(drafts, to_store)
    to_store = [i for i in to_store if i not in repeats]
    if to_store:
        _chat_store(drafts, results, to_store)
    for i, first in repeats.items():
        results[i] = ChatResult(message=results[first].message, error=results[first].error)
    return results


def _chat_store(drafts: list[ChatDraft], results: list[ChatResult], to_store: list[int]) -> None:
    from kinwell.safety.screening import screen_text
    from kinwell.safety.services import screen_outcome

    screened = {i: screen_text(drafts[i].body) for i in to_store}
    messages = {
        i: ChatMessage(
            circle_id=drafts[i].circle_id,
            author=drafts[i].author,
            body=drafts[i].body,
            client_id=drafts[i].client_id,
            visibility=(Visibility.HELD if screened[i].level == "urgent" else Visibility.VISIBLE),
        )
        for i in to_store
    }
    try:
        with transaction.atomic():
            ChatMessage.objects.bulk_create(list(messages.values()))
            for i, message in messages.items():
                results[i] = ChatResult(
                    message=message,
                    created=True,
                    outcome=screen_outcome(
                        author=message.author,
                        result=screened[i],
                        text=message.body,
                        source_type="chat_message",
                        source_id=message.pk,
                        space=space_of(message.circle_id),
                    ),
                )
    except IntegrityError:
        # A resend of a stored message (same author and client id): store this batch one
        # message at a time, so the resend gets the stored copy and the rest are stored.
        for i in to_store:
            results[i] = _chat_store_one(drafts[i], screened[i])


def _chat_repeats(drafts: list[ChatDraft], indexes: list[int]) -> dict[int, int]:
    """{index: first index} for drafts sent twice within this batch (same author and
    client id). A resend of a message stored earlier is caught by the unique constraint
    when the batch is inserted: resends follow dropped connections and are rare, so no
    batch pays a lookup for them."""
    first: dict[tuple[int, str], int] = {}
    repeats: dict[int, int] = {}
    for i in indexes:
        if not drafts[i].client_id:
            continue
        key = (drafts[i].author.pk, drafts[i].client_id)
        if key in first:
            repeats[i] = first[key]
        else:
            first[key] = i
    return repeats


def _chat_store_one(draft: ChatDraft, screened: Any) -> ChatResult:
    from kinwell.safety.services import screen_outcome

    try:
        with transaction.atomic():
            message = ChatMessage.objects.create(
                circle_id=draft.circle_id,
                author=draft.author,
                body=draft.body,
                client_id=draft.client_id,
                visibility=Visibility.HELD if screened.level == "urgent" else Visibility.VISIBLE,
            )
            outcome = screen_outcome(
                author=draft.author,
                result=screened,
                text=message.body,
                source_type="chat_message",
                source_id=message.pk,
                space=space_of(draft.circle_id),
            )
    except IntegrityError:
        earlier = (
            ChatMessage.objects.filter(author=draft.author, client_id=draft.client_id)
            .select_related("author")
            .first()
        )
        if earlier is None:
            raise
        return ChatResult(message=earlier)
    return ChatResult(message=message, outcome=outcome, created=True)


def render_message(message: ChatMessage) -> str:
    return render_to_string("circles/_message.html", {"message": message})


@functools.cache
def _ack_url_parts() -> tuple[str, str]:
    before, _, after = reverse("circles:ack", args=["message", 987654321]).partition("987654321")
    return before, after


def render_live_message(message: ChatMessage) -> str:
    """`circles/_message.html` as rendered for a live broadcast (no viewer, not yet
    acknowledged), built directly: the template engine was a quarter of the chat writer's
    time under load. A test compares the two outputs, so the template stays the source."""
    created = timezone.localtime(message.created_at)
    pk = int(message.pk)
    head = (
        f'<li class="message" id="message-{pk}" data-author="{int(message.author_id)}">\n'
        f'  <span class="who">{escape(message.author.display_name)}</span>\n'
        f'  <time datetime="{created.isoformat()}">{created:%H:%M}</time>\n'
        f'  <span class="text">{escape(message.body)}</span>\n'
    )
    if message.visibility == Visibility.HELD:
        return head + '  <span class="meta">(only you can see this for now)</span>\n</li>\n'
    before, after = _ack_url_parts()
    url = f"{before}{pk}{after}"
    return head + (
        f'  <form method="post" action="{url}" hx-post="{url}" hx-swap="outerHTML" '
        'class="inline ack"><input type="hidden" name="next" value=""><button type="submit" '
        'class="link" aria-pressed="false">I see you</button></form>\n\n</li>\n'
    )


def chat_event(message: ChatMessage) -> dict[str, Any]:
    return {
        "type": "chat.message",
        "id": message.pk,
        "author_id": message.author_id,
        "html": render_message(message),
    }


def broadcast_message(message: ChatMessage) -> None:
    """For messages stored outside a socket (the no-script form, a shared held message)."""
    _group_send(chat_group(message.circle_id), chat_event(message))


# --- Facilitator tools ----------------------------------------------------------------


def _facilitator_only(actor: Any, circle_id: int) -> None:
    if not is_facilitator(actor, circle_id):
        raise PermissionDenied("Only this circle's facilitator can do that.")


@transaction.atomic
def post_pin(*, actor: Any, post_id: int, pinned: bool) -> Post:
    post = Post.objects.select_for_update().filter(pk=post_id, is_reply=False).first()
    if post is None:
        raise ValidationError("That post is no longer here.")
    _facilitator_only(actor, post.circle_id)
    post.pinned = pinned
    post.save(update_fields=["pinned"])
    return post


@transaction.atomic
def member_mute(*, actor: Any, circle_id: int, user_id: int, hours: int, reason: str) -> None:
    """Pause a member's posting in this circle for a while; they see the reason."""
    _facilitator_only(actor, circle_id)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why, so the member understands."})
    if not 1 <= hours <= 24 * 14:
        raise ValidationError({"hours": "Choose between 1 hour and 14 days."})
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("circle", "user")
        .filter(circle_id=circle_id, user_id=user_id, status=Membership.Status.ACTIVE)
        .first()
    )
    if membership is None or membership.user_id == actor.pk:
        raise ValidationError("That person is not a member you can pause.")
    membership.muted_until = timezone.now() + timedelta(hours=hours)
    membership.mute_reason = reason.strip()[:400]
    membership.save(update_fields=["muted_until", "mute_reason"])
    audit_record(
        actor=actor,
        subject=membership.user,
        action="paused posting",
        target=membership.circle.name,
        reason=membership.mute_reason,
    )
    notification_send(
        user=membership.user,
        title=f"Your posting in {membership.circle.name} is paused for {hours} hours",
        body=membership.mute_reason,
        url=reverse("circles:circle", args=[circle_id]),
    )


@transaction.atomic
def circle_settings_save(
    *, actor: Any, circle_id: int, unseen_hours: int, coach_default: bool
) -> Circle:
    _facilitator_only(actor, circle_id)
    if not 1 <= unseen_hours <= 24 * 7:
        raise ValidationError({"unseen_hours": "Choose between 1 and 168 hours."})
    circle = Circle.objects.select_for_update().get(pk=circle_id)
    circle.unseen_hours = unseen_hours
    circle.coach_default = coach_default
    circle.save(update_fields=["unseen_hours", "coach_default"])
    return circle


@transaction.atomic
def meeting_create(
    *, actor: Any, circle_id: int, starts_at: Any, minutes: int, title: str, where: str = ""
) -> Meeting:
    _facilitator_only(actor, circle_id)
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": "Choose a time in the future."})
    if not 15 <= minutes <= 240:
        raise ValidationError({"minutes": "Meetings last between 15 minutes and 4 hours."})
    meeting = Meeting.objects.create(
        circle_id=circle_id,
        starts_at=starts_at,
        minutes=minutes,
        title=(title or "").strip()[:120] or "Circle meeting",
        where=(where or "").strip()[:300],
        created_by=actor,
    )
    text_screen(
        author=actor,
        text=f"{meeting.title}\n{meeting.where}",
        source_type="circle_meeting",
        source_id=meeting.pk,
    )
    for membership in (
        Membership.objects.filter(circle_id=circle_id, status=Membership.Status.ACTIVE)
        .exclude(user=actor)
        .select_related("user")
    ):
        notification_send(
            user=membership.user,
            title=f"New meeting: {meeting.title}",
            url=reverse("circles:meetings", args=[circle_id]),
        )
    return meeting


@transaction.atomic
def meeting_delete(*, actor: Any, meeting_id: int) -> None:
    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        raise ValidationError("That meeting is no longer scheduled.")
    _facilitator_only(actor, meeting.circle_id)
    meeting.delete()


@transaction.atomic
def feed_token_for(*, user: Any, circle_id: int) -> str:
    """The circle's calendar feed secret, made on first use; members only."""
    _may_take_part(user, circle_id)
    circle = Circle.objects.select_for_update().get(pk=circle_id)
    if not circle.feed_token:
        circle.feed_token = secrets.token_urlsafe(24)
        circle.save(update_fields=["feed_token"])
    return circle.feed_token


@transaction.atomic
def feed_token_rotate(*, actor: Any, circle_id: int) -> str:
    _facilitator_only(actor, circle_id)
    circle = Circle.objects.select_for_update().get(pk=circle_id)
    circle.feed_token = secrets.token_urlsafe(24)
    circle.save(update_fields=["feed_token"])
    return circle.feed_token


# --- Partners -------------------------------------------------------------------------


@transaction.atomic
def partner_ask(*, user: Any, circle_id: int, partner_id: int) -> Partnership:
    """Ask another member of the circle to be accountability partners; they may say no."""
    _may_take_part(user, circle_id)
    if partner_id == user.pk:
        raise ValidationError("Choose someone else in your circle.")
    partner = (
        Membership.objects.filter(
            circle_id=circle_id, user_id=partner_id, status=Membership.Status.ACTIVE
        )
        .select_related("user")
        .first()
    )
    if partner is None or partner_id in blocked_ids_for(user=user):
        raise ValidationError("That person is not in this circle.")
    open_pair = Partnership.objects.filter(
        Q(asker=user, partner_id=partner_id) | Q(asker_id=partner_id, partner=user),
        circle_id=circle_id,
        status__in=[Partnership.Status.PROPOSED, Partnership.Status.ACTIVE],
    ).exists()
    if open_pair:
        raise ValidationError("You have already asked each other.")
    pair = Partnership.objects.create(circle_id=circle_id, asker=user, partner=partner.user)
    notification_send(
        user=partner.user,
        title=f"{user.display_name} asked you to be accountability partners",
        body="You can say yes or no; no one else is told.",
        url=reverse("circles:partners", args=[circle_id]),
    )
    return pair


@transaction.atomic
def partner_answer(*, user: Any, partnership_id: int, accept: bool) -> Partnership:
    pair = (
        Partnership.objects.select_for_update(of=("self",))
        .select_related("asker")
        .filter(pk=partnership_id, partner=user)
        .first()
    )
    if pair is None:
        raise PermissionDenied("This request is not yours to answer.")
    if pair.status != Partnership.Status.PROPOSED:
        raise ValidationError("You already answered.")
    pair.status = Partnership.Status.ACTIVE if accept else Partnership.Status.DECLINED
    pair.answered_at = timezone.now()
    pair.save(update_fields=["status", "answered_at"])
    if accept:
        notification_send(
            user=pair.asker,
            title=f"{user.display_name} is now your accountability partner",
            url=reverse("circles:partners", args=[pair.circle_id]),
        )
    return pair


@transaction.atomic
def partner_end(*, user: Any, partnership_id: int) -> None:
    """Either partner can end it at any time, without giving a reason."""
    updated = Partnership.objects.filter(
        Q(asker=user) | Q(partner=user),
        pk=partnership_id,
        status__in=[Partnership.Status.PROPOSED, Partnership.Status.ACTIVE],
    ).update(status=Partnership.Status.ENDED)
    if not updated:
        raise ValidationError("That partnership has already ended.")


# --- Nudges (run by `kinwell circles-nudges`, e.g. every 15 minutes) -------------------


def last_active(user_ids: list[int]) -> dict[int, Any]:
    """When each member last posted, chatted or checked in."""
    from django.db.models import Max

    from kinwell.checkins.models import CheckIn

    seen: dict[int, Any] = {}
    for model, field, user_field in (
        (Post, "created_at", "author_id"),
        (ChatMessage, "created_at", "author_id"),
        (CheckIn, "updated_at", "user_id"),
    ):
        rows = (
            model.objects.filter(**{f"{user_field}__in": user_ids})
            .values(user_field)
            .annotate(last=Max(field))
        )
        for row in rows:
            uid, when = row[user_field], row["last"]
            if when and (uid not in seen or when > seen[uid]):
                seen[uid] = when
    return seen


def nudges_send(*, now: Any = None) -> dict[str, int]:
    """Tell partners and facilitators about posts no one has answered in the circle's
    window, and partners about a partner who went quiet. Each nudge is sent once."""
    now = now or timezone.now()
    sent = {"unseen": 0, "quiet": 0}
    posts = (
        Post.objects.filter(
            is_reply=False,
            visibility=Visibility.VISIBLE,
            unseen_notified_at__isnull=True,
            created_at__gte=now - timedelta(days=14),
        )
        .select_related("circle", "author")
        .annotate(n_replies=Count("replies", distinct=True), n_acks=Count("acks", distinct=True))
        .filter(n_replies=0, n_acks=0)
    )
    for post in posts:
        if post.created_at > now - timedelta(hours=post.circle.unseen_hours):
            continue
        with transaction.atomic():
            claimed = Post.objects.filter(pk=post.pk, unseen_notified_at__isnull=True).update(
                unseen_notified_at=now
            )
            if not claimed:
                continue
            helpers = set(
                Partnership.objects.filter(
                    Q(asker=post.author) | Q(partner=post.author),
                    circle=post.circle,
                    status=Partnership.Status.ACTIVE,
                ).values_list("asker_id", "partner_id")
            )
            ids = {i for pair in helpers for i in pair} - {post.author_id}
            ids |= set(
                Membership.objects.filter(
                    circle=post.circle,
                    role=Membership.Role.FACILITATOR,
                    status=Membership.Status.ACTIVE,
                ).values_list("user_id", flat=True)
            )
            for helper in User.objects.filter(pk__in=ids - {post.author_id}):
                notification_send(
                    user=helper,
                    title=f"{post.author.display_name}'s post in {post.circle.name} has no "
                    "reply yet",
                    body='A few words, or an "I see you", can mean a lot.',
                    url=reverse("circles:post", args=[post.circle_id, post.pk]),
                )
                sent["unseen"] += 1
    pairs = list(
        Partnership.objects.filter(status=Partnership.Status.ACTIVE).select_related(
            "asker", "partner", "circle"
        )
    )
    active = last_active([u for p in pairs for u in (p.asker_id, p.partner_id)])
    for pair in pairs:
        for quiet, other, stamp in (
            (pair.asker, pair.partner, "partner_nudged_at"),
            (pair.partner, pair.asker, "asker_nudged_at"),
        ):
            last = active.get(quiet.pk) or pair.answered_at or pair.created_at
            if last > now - timedelta(days=pair.quiet_days):
                continue
            nudged = getattr(pair, stamp)
            if nudged and nudged > last:
                continue
            with transaction.atomic():
                Partnership.objects.filter(pk=pair.pk).update(**{stamp: now})
                notification_send(
                    user=other,
                    title=f"{quiet.display_name} has been quiet for a few days",
                    body="A short hello from a partner can help. No pressure on either of you.",
                    url=reverse("circles:circle", args=[pair.circle_id]),
                )
            sent["quiet"] += 1
    return sent


# --- Shared check-ins -----------------------------------------------------------------


@transaction.atomic
def checkin_shares_set(
    *, user: Any, checkin: Any, circle_ids: list[int], include_note: bool = False
) -> list[CheckInShare]:
    """Share this check-in with exactly these circles (an empty list stops all sharing).

    Only the member's own check-in, only circles they take part in. The private note is
    shared only when they ask for it.
    """
    if checkin.user_id != user.pk:
        raise PermissionDenied("You can only share your own check-ins.")
    allowed = {
        m.circle_id
        for m in Membership.objects.filter(
            user=user, status=Membership.Status.ACTIVE
        ).select_related("circle")
        if m.agreed_version >= current_version(m.circle)
    }
    wanted = set(circle_ids)
    if wanted - allowed:
        raise ValidationError({"share_with": "Choose circles you are part of."})
    CheckInShare.objects.filter(checkin=checkin).exclude(circle_id__in=wanted).delete()
    shares = []
    for circle_id in sorted(wanted):
        share, created = CheckInShare.objects.get_or_create(
            checkin=checkin, circle_id=circle_id, defaults={"include_note": include_note}
        )
        if not created and share.include_note != include_note:
            share.include_note = include_note
            share.save(update_fields=["include_note"])
        shares.append(share)
    return shares


@transaction.atomic
def checkin_share_revoke(*, user: Any, share_id: int) -> None:
    deleted, _ = CheckInShare.objects.filter(pk=share_id, checkin__user=user).delete()
    if not deleted:
        raise ValidationError("That check-in is not shared any more.")


@transaction.atomic
def checkin_circles_set(*, user: Any, checkin: Any, circle_ids: list[int]) -> None:
    """Note which of the member's circles they connected with on this check-in's day."""
    from kinwell.circles.models import CircleConnection

    if checkin.user_id != user.pk:
        raise PermissionDenied("You can only change your own check-ins.")
    mine = set(
        Membership.objects.filter(
            user=user, status=Membership.Status.ACTIVE, circle_id__in=circle_ids
        ).values_list("circle_id", flat=True)
    )
    if set(circle_ids) - mine:
        raise ValidationError({"connected_circles": "Choose circles you are part of."})
    CircleConnection.objects.filter(checkin=checkin).exclude(circle_id__in=mine).delete()
    for circle_id in sorted(mine):
        CircleConnection.objects.get_or_create(checkin=checkin, circle_id=circle_id)
