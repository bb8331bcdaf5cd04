"""Reads for circles, with access built in: pages and sockets use the same functions."""

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from kinwell.circles.models import (
    Acknowledgement,
    ChatMessage,
    CheckInShare,
    Circle,
    JoinRequest,
    Meeting,
    Membership,
    Partnership,
    Post,
    Visibility,
)
from kinwell.circles.services import current_version
from kinwell.safety.selectors import blocked_ids_for, muted_ids_for

UNSEEN_AFTER = timedelta(hours=12)


class AgreementsNeeded(PermissionDenied):
    """A member whose agreements are out of date is sent to read them, not refused."""


def membership_for(*, user: Any, circle_id: int) -> Membership:
    """The member's active membership, or 404 for anyone else: never a hint it exists."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    membership = (
        Membership.objects.select_related("circle")
        .filter(circle_id=circle_id, user=user, status=Membership.Status.ACTIVE)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def circle_get_for_member(*, user: Any, circle_id: int) -> tuple[Circle, Membership]:
    """A circle its member may take part in; AgreementsNeeded when agreements are unread."""
    membership = membership_for(user=user, circle_id=circle_id)
    if membership.agreed_version < current_version(membership.circle):
        raise AgreementsNeeded
    return membership.circle, membership


def circles_for_member(*, user: Any) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user, status=Membership.Status.ACTIVE)
        .select_related("circle")
        .order_by("circle__name")
    )


def waiting_request_for(*, user: Any) -> JoinRequest | None:
    return JoinRequest.objects.filter(user=user, status=JoinRequest.Status.WAITING).first()


def members_of(*, circle: Circle, viewer: Any) -> list[Membership]:
    hidden = blocked_ids_for(user=viewer)
    return [
        m
        for m in Membership.objects.filter(circle=circle, status=Membership.Status.ACTIVE)
        .select_related("user")
        .order_by("-role", "user__display_name")
        if m.user_id not in hidden
    ]


def _hidden_authors(viewer: Any) -> set[int]:
    return blocked_ids_for(user=viewer) | muted_ids_for(user=viewer)


def _visible_to(viewer: Any) -> Q:
    # Everyone sees visible words; writers also see their own held ones (to choose).
    return Q(visibility=Visibility.VISIBLE) | Q(author=viewer, visibility=Visibility.HELD)


def _threads(viewer: Any) -> QuerySet[Post]:
    """Top-level posts with replies and who acknowledged each (so the writer sees who saw
    them) and the viewer's own response; blocked and muted authors are left out. A
    constant number of queries."""
    hidden = _hidden_authors(viewer)
    mine = Acknowledgement.objects.filter(user=viewer, post=OuterRef("pk")).values("response")
    acks = Acknowledgement.objects.exclude(user_id__in=hidden).select_related("user")

    def annotated(queryset: QuerySet[Post]) -> QuerySet[Post]:
        return (
            queryset.filter(_visible_to(viewer))
            .exclude(author_id__in=hidden)
            .select_related("author")
            .annotate(my_response=Subquery(mine[:1]))
            .prefetch_related(Prefetch("acks", queryset=acks))
        )

    replies = annotated(Post.objects.all()).order_by("created_at", "pk")
    return annotated(Post.objects.all()).prefetch_related(Prefetch("replies", queryset=replies))


def posts_for_circle(*, circle: Circle, viewer: Any, limit: int = 30) -> list[Post]:
    return list(
        _threads(viewer)
        .filter(circle=circle, is_reply=False)
        .order_by("-pinned", "-created_at", "-pk")[:limit]
    )


def post_get_for_member(*, user: Any, circle_id: int, post_id: int) -> Post:
    circle_get_for_member(user=user, circle_id=circle_id)
    post = _threads(user).filter(circle_id=circle_id, pk=post_id, is_reply=False).first()
    if post is None:
        raise Http404
    return post


def post_card_for(*, user: Any, post_id: int) -> Post:
    """One post or reply as its card shows it, for a member of its circle."""
    post = _threads(user).filter(pk=post_id).first()
    if post is None:
        raise Http404
    circle_get_for_member(user=user, circle_id=post.circle_id)
    return post


def unseen_posts(*, circle: Circle, viewer: Any) -> list[Post]:
    """Posts that have waited a while with no reply and no "I see you": worth a look."""
    cutoff = timezone.now() - UNSEEN_AFTER
    return list(
        Post.objects.filter(
            circle=circle,
            is_reply=False,
            visibility=Visibility.VISIBLE,
            created_at__lte=cutoff,
            created_at__gte=cutoff - timedelta(days=14),
        )
        .exclude(author=viewer)
        .exclude(author_id__in=_hidden_authors(viewer))
        .annotate(n_replies=Count("replies", distinct=True), n_acks=Count("acks", distinct=True))
        .filter(n_replies=0, n_acks=0)
        .select_related("author")
        .order_by("created_at")[:3]
    )


def chat_history(*, circle: Circle, viewer: Any, limit: int = 50) -> list[ChatMessage]:
    """The latest messages, oldest first, as a newly opened chat shows them."""
    hidden = _hidden_authors(viewer)
    mine = Acknowledgement.objects.filter(user=viewer, message=OuterRef("pk"))
    rows: list[ChatMessage] = list(
        ChatMessage.objects.filter(_visible_to(viewer), circle=circle)
        .exclude(author_id__in=hidden)
        .select_related("author")
        .annotate(acked=Exists(mine))
        .order_by("-pk")[:limit]
    )
    rows.reverse()
    return rows


def meetings_for(*, circle: Circle, upcoming_only: bool = True) -> list[Meeting]:
    meetings = Meeting.objects.filter(circle=circle)
    if upcoming_only:
        meetings = meetings.filter(starts_at__gte=timezone.now() - timedelta(hours=4))
    return list(meetings.order_by("starts_at")[:20])


def partnerships_for(*, user: Any, circle: Circle) -> list[Partnership]:
    return list(
        Partnership.objects.filter(Q(asker=user) | Q(partner=user), circle=circle)
        .exclude(status__in=[Partnership.Status.DECLINED, Partnership.Status.ENDED])
        .select_related("asker", "partner")
    )


def not_seen_lately(*, circle: Circle, days: int = 7) -> list[tuple[Any, Any]]:
    """For the facilitator: members with no post, chat or check-in for `days` days, with
    when they were last active (None: not yet)."""
    from kinwell.circles.services import last_active

    members = list(
        Membership.objects.filter(
            circle=circle, status=Membership.Status.ACTIVE, role=Membership.Role.MEMBER
        ).select_related("user")
    )
    seen = last_active([m.user_id for m in members])
    cutoff = timezone.now() - timedelta(days=days)
    quiet = [(m.user, seen.get(m.user_id)) for m in members]
    return sorted(
        [(user, when) for user, when in quiet if when is None or when < cutoff],
        key=lambda pair: (pair[1] is not None, pair[1] or 0),
    )


def shared_checkins(*, circle: Circle, viewer: Any, days: int = 7) -> list[CheckInShare]:
    """Check-ins members shared with this circle over the last `days`, newest first, with
    who acknowledged each and the viewer's own response."""
    hidden = _hidden_authors(viewer)
    mine = Acknowledgement.objects.filter(user=viewer, share=OuterRef("pk")).values("response")
    acks = Acknowledgement.objects.exclude(user_id__in=hidden).select_related("user")
    since = timezone.now() - timedelta(days=days)
    return list(
        CheckInShare.objects.filter(circle=circle, created_at__gte=since)
        .exclude(checkin__user_id__in=hidden)
        .select_related("checkin__user")
        .annotate(my_response=Subquery(mine[:1]))
        .prefetch_related(Prefetch("acks", queryset=acks))
        .order_by("-checkin__day", "-pk")[:40]
    )


def shared_checkin_for(*, user: Any, share_id: int) -> CheckInShare:
    share = CheckInShare.objects.filter(pk=share_id).first()
    if share is None:
        raise Http404
    circle_get_for_member(user=user, circle_id=share.circle_id)
    for found in shared_checkins(circle=share.circle, viewer=user, days=3650):
        if found.pk == share_id:
            return found
    raise Http404


def shares_of(*, user: Any, checkin_ids: list[int]) -> dict[int, list[CheckInShare]]:
    """A member's own shares for the given check-ins, by check-in id."""
    found: dict[int, list[CheckInShare]] = {}
    for share in CheckInShare.objects.filter(
        checkin_id__in=checkin_ids, checkin__user=user
    ).select_related("circle"):
        found.setdefault(share.checkin_id, []).append(share)
    return found


def group_overview(*, circle: Circle, days: int = 7) -> dict[str, Any]:
    """For the facilitator: how the circle's shared check-ins look this week, with counts."""
    from django.db.models import Avg

    since = timezone.now() - timedelta(days=days)
    shares = CheckInShare.objects.filter(circle=circle, created_at__gte=since)
    stats = shares.aggregate(
        n=Count("pk"),
        people=Count("checkin__user", distinct=True),
        seen=Avg("checkin__seen"),
        safe=Avg("checkin__safe"),
        soothed=Avg("checkin__soothed"),
        secure=Avg("checkin__secure"),
        stable=Avg("checkin__stable"),
    )
    windows = dict(
        shares.values_list("checkin__window")
        .annotate(n=Count("pk"))
        .values_list("checkin__window", "n")
    )
    return {**stats, "windows": windows}
