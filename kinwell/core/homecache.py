"""Reuse the rendered home page until something on it changes.

The home page is the most visited page and costs ~3 ms of CPU to build (four queries and
a long template). A member's copy is kept under a key made of everything it depends on:
the member's `data_version` (bumped on any write that shows on the page, see
`touch_home`), their local date (nudges), their display name, their roles, their CSRF
secret (the forms carry a token) and the minute (so time-based changes, such as a
questionnaire falling due, show within a minute). The key is checked against the user
row that every signed-in request loads anyway, so staleness never outlives a write.

Each response has its own CSP nonce; the stored copy's nonce is swapped for the new one.
"""

import hashlib
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models import F
from django.http import HttpRequest, HttpResponse

TTL = 60


def touch_home(user_id: int | None) -> None:
    """Something on this member's home page changed: stop using their stored copy."""
    if not user_id:
        return
    from kinwell.accounts.models import User

    User.objects.filter(pk=user_id).update(data_version=F("data_version") + 1)


def _key(request: HttpRequest, day: Any) -> str | None:
    user: Any = request.user
    secret = request.META.get("CSRF_COOKIE")
    if not secret or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return None
    from kinwell.core.context_processors import _nav

    roles = sorted(_nav(request).items())
    digest = hashlib.blake2s(
        f"{secret}|{user.display_name}|{user.country}|{roles}".encode(), digest_size=12
    ).hexdigest()
    minute = int(time.time() // TTL)
    return f"home:{user.pk}:{user.data_version}:{day}:{minute}:{digest}"


def cached_home(request: HttpRequest, day: Any, build: Callable[[], HttpResponse]) -> HttpResponse:
    from django.conf import settings
    from django.contrib.messages import get_messages

    if not settings.HOME_CACHE:
        return build()
    nonce = str(getattr(request, "csp_nonce", ""))
    if len(get_messages(request)) or not nonce:
        return build()
    key = _key(request, day)
    if key is None:
        return build()
    stored = cache.get(key)
    if stored is not None:
        html, old_nonce = stored
        return HttpResponse(html.replace(old_nonce, nonce))
    response = build()
    if response.status_code == 200 and not response.streaming:
        cache.set(key, (response.content.decode(), nonce), TTL)
    return response


def _bump_owner(sender: Any, instance: Any, **kwargs: Any) -> None:
    user_id = getattr(instance, "user_id", None)
    if user_id is None and hasattr(instance, "person_id"):
        from kinwell.network.models import Person

        user_id = (
            Person.objects.filter(pk=instance.person_id).values_list("user_id", flat=True).first()
        )
    touch_home(user_id)


def connect() -> None:
    """Cache invalidation, not a business rule: every save or delete of a row the home page
    shows bumps its owner's version, whichever code path wrote it."""
    from django.db.models.signals import post_delete, post_save

    from kinwell.assessments.models import AssessmentResponse, RetakeSchedule
    from kinwell.checkins.models import CheckIn
    from kinwell.core.models import Notification
    from kinwell.network.models import Contact, Person

    for model in (Notification, CheckIn, Person, Contact, RetakeSchedule, AssessmentResponse):
        post_save.connect(_bump_owner, sender=model, dispatch_uid=f"home:{model.__name__}:save")
        post_delete.connect(_bump_owner, sender=model, dispatch_uid=f"home:{model.__name__}:delete")
