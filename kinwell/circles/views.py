from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from kinwell.accounts.roles import has_role
from kinwell.circles import selectors, services
from kinwell.circles.forms import (
    AcceptForm,
    AgreementForm,
    ChatForm,
    CircleSettingsForm,
    JoinForm,
    MeetingForm,
    MuteForm,
    PostForm,
    RemoveForm,
    ReplyForm,
)
from kinwell.circles.models import Acknowledgement, Agreement, Circle, JoinRequest
from kinwell.circles.slots import local_label
from kinwell.core.forms import apply_validation_error
from kinwell.safety.help import inline_help

RESPONSES = Acknowledgement.Response.choices


def _space(request: HttpRequest, circle_id: int) -> Any:
    """(circle, membership), or a redirect to the agreements when they are unread."""
    try:
        return selectors.circle_get_for_member(user=request.user, circle_id=circle_id)
    except selectors.AgreementsNeeded:
        return redirect("circles:agreements", circle_id)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    memberships = selectors.circles_for_member(user=request.user)
    return render(
        request,
        "circles/index.html",
        {
            "memberships": [(m, local_label(m.circle.slot, request.user)) for m in memberships],
            "waiting": selectors.waiting_request_for(user=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    form = JoinForm(
        request.POST or None, initial={"language": getattr(request.user, "language", "en")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.join_request_create(
                user=request.user,
                focus_slug=data["focus"],
                language=data["language"],
                days=data["days"],
                times=data["times"],
                stage=data["stage"],
                never_meet=form.names(),
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            placed = selectors.circles_for_member(user=request.user)
            if any(m.circle.focus == data["focus"] for m in placed):
                messages.success(request, "We found you a circle. Read its agreements to join in.")
            else:
                messages.success(
                    request,
                    "Thank you. We will place you as soon as a circle fits your times, and let "
                    "you know here.",
                )
            return redirect("circles:index")
    return render(request, "circles/join.html", {"form": form})


@login_required
@require_POST
def withdraw(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        services.join_request_withdraw(user=request.user, request_id=request_id)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, "Your request is withdrawn. You can ask again any time.")
    return redirect("circles:index")


@login_required
@require_http_methods(["GET", "POST"])
def agreements(request: HttpRequest, circle_id: int) -> HttpResponse:
    membership = selectors.membership_for(user=request.user, circle_id=circle_id)
    circle = membership.circle
    agreement = Agreement.objects.filter(circle=circle).order_by("-version").first()
    version = agreement.version if agreement else 0
    form = AcceptForm(request.POST or None, initial={"version": version})
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_accept(
                user=request.user, circle_id=circle.pk, version=form.cleaned_data["version"]
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"Welcome to {circle.name}.")
            return redirect("circles:circle", circle.pk)
    return render(
        request,
        "circles/agreements.html",
        {
            "circle": circle,
            "agreement": agreement,
            "form": form,
            "accepted": membership.agreed_version >= version,
            "is_facilitator": services.is_facilitator(request.user, circle.pk),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def agreements_edit(request: HttpRequest, circle_id: int) -> HttpResponse:
    membership = selectors.membership_for(user=request.user, circle_id=circle_id)
    if not services.is_facilitator(request.user, circle_id):
        raise PermissionDenied("Only this circle's facilitator can change its agreements.")
    current = Agreement.objects.filter(circle_id=circle_id).order_by("-version").first()
    form = AgreementForm(request.POST or None, initial={"text": current.text if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_update(
                actor=request.user, circle_id=circle_id, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Published. Members will be asked to read the new version.")
            return redirect("circles:agreements", circle_id)
    return render(
        request, "circles/agreements_edit.html", {"circle": membership.circle, "form": form}
    )


def _circle_context(request: HttpRequest, circle: Circle, membership: Any) -> dict[str, Any]:
    user = request.user
    return {
        "circle": circle,
        "membership": membership,
        "is_facilitator": membership.role == "facilitator",
        "slot_label": local_label(circle.slot, user),
        "members": selectors.members_of(circle=circle, viewer=user),
        "posts": selectors.posts_for_circle(circle=circle, viewer=user),
        "unseen": selectors.unseen_posts(circle=circle, viewer=user),
        "shared": selectors.shared_checkins(circle=circle, viewer=user),
        "history": selectors.chat_history(circle=circle, viewer=user),
        "post_form": PostForm(),
        "responses": RESPONSES,
        "meetings": selectors.meetings_for(circle=circle)[:3],
        "partners": selectors.partnerships_for(user=user, circle=circle),
        "chat_form": ChatForm(),
        "chat_path": f"/ws/circles/{circle.pk}/chat/",
        "now": timezone.now(),
    }


@login_required
def circle(request: HttpRequest, circle_id: int) -> HttpResponse:
    found = _space(request, circle_id)
    if isinstance(found, HttpResponse):
        return found
    circle, membership = found
    return render(request, "circles/circle.html", _circle_context(request, circle, membership))


def _after_write(
    request: HttpRequest, circle_id: int, outcome: Any, kind: str, item_id: int, anchor: str
) -> HttpResponse:
    if outcome.shows_help:
        return render(
            request,
            "circles/help_after_post.html",
            {
                "circle_id": circle_id,
                "needs_choice": outcome.needs_choice,
                "kind": kind,
                "item_id": item_id,
                **inline_help(user=request.user, level=outcome.level),
            },
        )
    return redirect(reverse("circles:circle", args=[circle_id]) + anchor)


@login_required
@require_POST
def post_create(request: HttpRequest, circle_id: int) -> HttpResponse:
    found = _space(request, circle_id)
    if isinstance(found, HttpResponse):
        return found
    circle, membership = found
    form = PostForm(request.POST)
    if form.is_valid():
        try:
            post, outcome = services.post_create(
                author=request.user, circle_id=circle_id, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return _after_write(request, circle_id, outcome, "post", post.pk, f"#post-{post.pk}")
    context = _circle_context(request, circle, membership)
    context["post_form"] = form
    return render(request, "circles/circle.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def post(request: HttpRequest, circle_id: int, post_id: int) -> HttpResponse:
    found = _space(request, circle_id)
    if isinstance(found, HttpResponse):
        return found
    circle, _membership = found
    thread = selectors.post_get_for_member(user=request.user, circle_id=circle_id, post_id=post_id)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reply, outcome = services.post_create(
                author=request.user,
                circle_id=circle_id,
                body=form.cleaned_data["body"],
                parent_id=thread.pk,
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if outcome.shows_help:
                return _after_write(request, circle_id, outcome, "post", reply.pk, "")
            return redirect(
                reverse("circles:post", args=[circle_id, post_id]) + f"#post-{reply.pk}"
            )
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "circles/post.html",
        {"circle": circle, "post": thread, "form": form},
        status=status,
    )


@login_required
@require_POST
def ack(request: HttpRequest, kind: str, item_id: int) -> HttpResponse:
    if kind not in ("post", "message", "checkin"):
        raise Http404
    try:
        given = services.ack_toggle(
            user=request.user,
            post_id=item_id if kind == "post" else None,
            message_id=item_id if kind == "message" else None,
            share_id=item_id if kind == "checkin" else None,
            response=request.POST.get("response") or Acknowledgement.Response.SEE,
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        if request.htmx:  # type: ignore[attr-defined]
            return HttpResponse(exc.messages[0], status=400)
        messages.error(request, exc.messages[0])
        return redirect(_safe_next(request) or "circles:index")
    if request.htmx and kind == "checkin":  # type: ignore[attr-defined]
        share = selectors.shared_checkin_for(user=request.user, share_id=item_id)
        return render(
            request, "circles/_shared_checkin.html", {"share": share, "responses": RESPONSES}
        )
    if request.htmx:  # type: ignore[attr-defined]
        if kind == "message":
            return render(
                request,
                "circles/_ack_button.html",
                {"kind": kind, "item_id": item_id, "on": bool(given)},
            )
        card = selectors.post_card_for(user=request.user, post_id=item_id)
        return render(
            request,
            "circles/_post.html",
            {
                "post": card,
                "responses": RESPONSES,
                "is_facilitator": services.is_facilitator(request.user, card.circle_id),
            },
        )
    messages.success(request, "They will know you see them." if given else "Taken back.")
    return redirect(_safe_next(request) or "circles:index")


def _safe_next(request: HttpRequest) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    # A path only: redirect() would take anything else for a URL name (500).
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return ""


@login_required
@require_POST
def held_choice(request: HttpRequest, kind: str, item_id: int) -> HttpResponse:
    if kind not in ("post", "message"):
        raise Http404
    share = request.POST.get("share") == "yes"
    try:
        item = services.held_choose(author=request.user, kind=kind, item_id=item_id, share=share)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.info(request, exc.messages[0])
        return redirect("circles:index")
    if share:
        messages.success(request, "Shared with your circle. Thank you for trusting them.")
    else:
        messages.success(request, "Kept private. Only you can see it.")
    return redirect("circles:circle", item.circle_id)


@login_required
@require_POST
def chat_send(request: HttpRequest, circle_id: int) -> HttpResponse:
    """The same chat without script: a plain form post, broadcast to open sockets."""
    found = _space(request, circle_id)
    if isinstance(found, HttpResponse):
        return found
    circle, membership = found
    form = ChatForm(request.POST)
    if form.is_valid():
        try:
            message, outcome, created = services.chat_send(
                author=request.user,
                circle_id=circle_id,
                body=form.cleaned_data["body"],
                client_id=request.POST.get("client_id", ""),
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if created and not outcome.needs_choice:
                from django.db import transaction

                transaction.on_commit(lambda: services.broadcast_message(message))
            return _after_write(request, circle_id, outcome, "message", message.pk, "#chat")
    context = _circle_context(request, circle, membership)
    context["chat_form"] = form
    return render(request, "circles/circle.html", context, status=400)


@login_required
@require_POST
def leave(request: HttpRequest, circle_id: int) -> HttpResponse:
    try:
        services.membership_leave(user=request.user, circle_id=circle_id)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, "You have left the circle. You can ask to join another any time.")
    return redirect("circles:index")


@login_required
@require_POST
def remove(request: HttpRequest, circle_id: int) -> HttpResponse:
    selectors.membership_for(user=request.user, circle_id=circle_id)
    form = RemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why, so the member understands.")
        return redirect("circles:circle", circle_id)
    try:
        services.membership_remove(
            actor=request.user,
            circle_id=circle_id,
            user_id=form.cleaned_data["user_id"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, "Removed. They have been told why.")
    return redirect("circles:circle", circle_id)


@login_required
@require_http_methods(["GET", "POST"])
def matching_page(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, "moderator"):
        raise PermissionDenied("Matching is run by moderators.")
    result = None
    if request.method == "POST":
        result = services.circles_match(actor=request.user)
        messages.success(
            request,
            f"Placed {result.placed} people: {len(result.circles)} new circles, "
            f"{len(result.additions)} circles grew; {len(result.unmatched)} still waiting.",
        )
        return redirect("circles:matching")
    from django.db.models import Count

    waiting = (
        JoinRequest.objects.filter(status=JoinRequest.Status.WAITING)
        .values("focus", "language")
        .annotate(n=Count("pk"))
        .order_by("focus", "language")
    )
    circles = Circle.objects.order_by("focus", "name")
    return render(
        request,
        "circles/matching.html",
        {"waiting": list(waiting), "circles": circles, "result": result},
    )


# --- Facilitator tools ----------------------------------------------------------------


@login_required
@require_POST
def pin(request: HttpRequest, post_id: int) -> HttpResponse:
    try:
        post = services.post_pin(
            actor=request.user, post_id=post_id, pinned=request.POST.get("pinned") == "yes"
        )
    except (PermissionDenied, ValidationError):
        raise Http404 from None
    return redirect("circles:circle", post.circle_id)


@login_required
@require_http_methods(["GET", "POST"])
def facilitate(request: HttpRequest, circle_id: int) -> HttpResponse:
    """The facilitator's page: circle settings, pausing a member, who has gone quiet."""
    membership = selectors.membership_for(user=request.user, circle_id=circle_id)
    if not services.is_facilitator(request.user, circle_id):
        raise PermissionDenied("This page is for the circle's facilitator.")
    circle = membership.circle
    settings_form = CircleSettingsForm(
        request.POST if request.POST.get("form") == "settings" else None,
        initial={"unseen_hours": circle.unseen_hours, "coach_default": circle.coach_default},
    )
    mute_form = MuteForm(
        request.POST if request.POST.get("form") == "mute" else None, circle=circle
    )
    if request.method == "POST":
        form: Any = settings_form if request.POST.get("form") == "settings" else mute_form
        if form.is_valid():
            try:
                if form is settings_form:
                    services.circle_settings_save(
                        actor=request.user, circle_id=circle_id, **form.cleaned_data
                    )
                    messages.success(request, "Saved.")
                else:
                    services.member_mute(
                        actor=request.user,
                        circle_id=circle_id,
                        user_id=int(form.cleaned_data["user"]),
                        hours=form.cleaned_data["hours"],
                        reason=form.cleaned_data["reason"],
                    )
                    messages.success(request, "Paused. They have been told why.")
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                return redirect("circles:facilitate", circle_id)
    return render(
        request,
        "circles/facilitate.html",
        {
            "circle": circle,
            "settings_form": settings_form,
            "mute_form": mute_form,
            "quiet": selectors.not_seen_lately(circle=circle),
            "overview": selectors.group_overview(circle=circle),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meetings(request: HttpRequest, circle_id: int) -> HttpResponse:
    found = _space(request, circle_id)
    if isinstance(found, HttpResponse):
        return found
    circle, membership = found
    is_facilitator = membership.role == "facilitator"
    form = MeetingForm(request.POST or None, user=request.user, circle=circle)
    if request.method == "POST":
        if not is_facilitator:
            raise PermissionDenied("Only the facilitator schedules meetings.")
        if form.is_valid():
            try:
                services.meeting_create(
                    actor=request.user, circle_id=circle_id, **form.meeting_fields()
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, "Scheduled. Everyone in the circle has been told.")
                return redirect("circles:meetings", circle_id)
    token = services.feed_token_for(user=request.user, circle_id=circle_id)
    return render(
        request,
        "circles/meetings.html",
        {
            "circle": circle,
            "meetings": selectors.meetings_for(circle=circle),
            "form": form,
            "is_facilitator": is_facilitator,
            "slot_label": local_label(circle.slot, request.user),
            "feed_url": request.build_absolute_uri(
                reverse("circles:feed", args=[circle_id, token])
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def meeting_delete(request: HttpRequest, meeting_id: int) -> HttpResponse:
    from kinwell.circles.models import Meeting

    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        raise Http404
    try:
        services.meeting_delete(actor=request.user, meeting_id=meeting_id)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, "Meeting cancelled.")
    return redirect("circles:meetings", meeting.circle_id)


@login_required
def meeting_ics(request: HttpRequest, meeting_id: int) -> HttpResponse:
    from kinwell.circles.calendar import meeting_calendar
    from kinwell.circles.models import Meeting

    meeting = Meeting.objects.select_related("circle").filter(pk=meeting_id).first()
    if meeting is None:
        raise Http404
    selectors.membership_for(user=request.user, circle_id=meeting.circle_id)
    response = HttpResponse(
        meeting_calendar([meeting], meeting.circle), content_type="text/calendar"
    )
    response["Content-Disposition"] = f'attachment; filename="kinwell-meeting-{meeting.pk}.ics"'
    return response


def feed(request: HttpRequest, circle_id: int, token: str) -> HttpResponse:
    """The subscribable calendar feed. Calendar apps cannot sign in, so the link itself is
    the key: long, random, and revocable by the facilitator."""
    import secrets as _secrets

    from kinwell.circles.calendar import meeting_calendar

    circle = Circle.objects.filter(pk=circle_id).first()
    if (
        circle is None
        or not circle.feed_token
        or not _secrets.compare_digest(circle.feed_token, token)
    ):
        raise Http404
    response = HttpResponse(
        meeting_calendar(selectors.meetings_for(circle=circle), circle),
        content_type="text/calendar",
    )
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_POST
def feed_rotate(request: HttpRequest, circle_id: int) -> HttpResponse:
    selectors.membership_for(user=request.user, circle_id=circle_id)
    services.feed_token_rotate(actor=request.user, circle_id=circle_id)
    messages.success(request, "New calendar link made; the old one stopped working.")
    return redirect("circles:meetings", circle_id)


# --- Partners -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def partners(request: HttpRequest, circle_id: int) -> HttpResponse:
    found = _space(request, circle_id)
    if isinstance(found, HttpResponse):
        return found
    circle, _membership = found
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "ask":
                services.partner_ask(
                    user=request.user,
                    circle_id=circle_id,
                    partner_id=int(request.POST.get("partner_id") or 0),
                )
                messages.success(request, "Asked. They can say yes or no.")
            elif action in ("accept", "decline"):
                services.partner_answer(
                    user=request.user,
                    partnership_id=int(request.POST.get("partnership_id") or 0),
                    accept=action == "accept",
                )
                messages.success(request, "Thank you for answering.")
            elif action == "end":
                services.partner_end(
                    user=request.user, partnership_id=int(request.POST.get("partnership_id") or 0)
                )
                messages.success(request, "Ended. No one else is told.")
            else:
                messages.error(request, "Unknown action.")
        except PermissionDenied:
            raise Http404 from None
        except (ValidationError, ValueError) as exc:
            text = exc.messages[0] if isinstance(exc, ValidationError) else "Choose someone."
            messages.error(request, text)
        return redirect("circles:partners", circle_id)
    pairs = selectors.partnerships_for(user=request.user, circle=circle)
    taken = {p.other(request.user.pk or 0) for p in pairs}
    return render(
        request,
        "circles/partners.html",
        {
            "circle": circle,
            "pairs": pairs,
            "candidates": [
                m
                for m in selectors.members_of(circle=circle, viewer=request.user)
                if m.user_id != request.user.pk and m.user_id not in taken
            ],
        },
    )


@login_required
@require_POST
def share_revoke(request: HttpRequest, share_id: int) -> HttpResponse:
    try:
        services.checkin_share_revoke(user=request.user, share_id=share_id)
    except ValidationError as exc:
        messages.info(request, exc.messages[0])
    else:
        messages.success(request, "Stopped sharing. Your circle no longer sees that check-in.")
    return redirect("checkins:history")
