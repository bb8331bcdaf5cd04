"""Reads for circles, with access built in: pages and sockets use the same functions."""

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kinwell.circles.models import (
    Acknowledgement,
    ChatMessage,
    Circle,
    JoinRequest,
    Membership,
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
    """Top-level posts with replies, "I see you" counts and whether the viewer gave one;
    blocked and muted authors are left out. A constant number of queries."""
    hidden = _hidden_authors(viewer)
    mine = Acknowledgement.objects.filter(user=viewer, post=OuterRef("pk"))

    def annotated(queryset: QuerySet[Post]) -> QuerySet[Post]:
        return (
            queryset.filter(_visible_to(viewer))
            .exclude(author_id__in=hidden)
            .select_related("author")
            .annotate(ack_count=Count("acks", distinct=True), acked=Exists(mine))
        )

    replies = annotated(Post.objects.all()).order_by("created_at", "pk")
    return annotated(Post.objects.filter(is_reply=False)).prefetch_related(
        Prefetch("replies", queryset=replies)
    )


def posts_for_circle(*, circle: Circle, viewer: Any, limit: int = 30) -> list[Post]:
    return list(_threads(viewer).filter(circle=circle).order_by("-created_at", "-pk")[:limit])


def post_get_for_member(*, user: Any, circle_id: int, post_id: int) -> Post:
    circle_get_for_member(user=user, circle_id=circle_id)
    post = _threads(user).filter(circle_id=circle_id, pk=post_id).first()
    if post is None:
        raise Http404
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
