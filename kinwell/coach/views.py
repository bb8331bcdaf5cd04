from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from kinwell.coach import selectors, services
from kinwell.coach.forms import CoachSettingsForm
from kinwell.coach.practice import practice_posts
from kinwell.core.ratelimit import hit

# A typing pause sends one request; a fast writer makes a few a minute. The limits only
# stop scripts from using the coach as a free text-rating service.
FEEDBACK_PER_MINUTE = 40
FEEDBACK_PER_HOUR = 600


def _limited(user_id: int | None) -> str:
    for limit, window in ((FEEDBACK_PER_MINUTE, 60), (FEEDBACK_PER_HOUR, 3600)):
        wait = hit(key=f"coach:{window}:{user_id}", limit=limit, window_seconds=window)
        if wait:
            return (
                f"The coach needs a short rest. It can read again in {wait} "
                f"second{'s' if wait != 1 else ''}."
            )
    return ""


def _rate(request: HttpRequest, text: str, seeker_post: str) -> tuple[services.Feedback, int]:
    wait = _limited(request.user.pk)
    if wait:
        return services.Feedback(message=wait), 429
    return services.feedback(text, seeker_post[: services.MAX_CHARS]), 200


@login_required
@require_POST
def feedback(request: HttpRequest) -> HttpResponse:
    """The feedback partial for a draft reply (posted by coach.js after a typing pause).
    Nothing posted here is stored."""
    result, status = _rate(request, request.POST.get("text", ""), request.POST.get("seeker", ""))
    return render(request, "coach/_feedback.html", {"feedback": result}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def practice(request: HttpRequest) -> HttpResponse:
    """Reply to example posts from our corpus and see the coach's feedback. Works without
    script (the form posts here); nothing the member writes is stored."""
    posts = practice_posts()
    try:
        number = int(request.POST.get("post") or request.GET.get("post") or 1)
    except ValueError:
        number = 1
    number = min(max(number, 1), len(posts))
    post = posts[number - 1]
    text = ""
    result = None
    if request.method == "POST":
        text = request.POST.get("text", "")
        result, _ = _rate(request, text, post.text)
    return render(
        request,
        "coach/practice.html",
        {
            "post": post,
            "count": len(posts),
            "previous": number - 1 if number > 1 else None,
            "next": number + 1 if number < len(posts) else None,
            "text": text,
            "feedback": result,
            "tried": bool(text.strip()),
        },
    )


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    # A path only: redirect() would take anything else for a URL name (500).
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def coach_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = CoachSettingsForm(request.POST)
        if form.is_valid():
            enabled = form.cleaned_data["enabled"] == "on"
            services.coach_preference_set(actor=request.user, enabled=enabled)
            if request.headers.get("X-Coach-Request"):
                # From the feedback box: swap the box for a short note, keep the draft.
                return render(request, "coach/_coach_off.html")
            messages.success(
                request,
                "The coach is on. You will see its feedback while you write replies."
                if enabled
                else "The coach is off. You can turn it back on here at any time.",
            )
            return redirect(_safe_next(request) or "coach:settings")
    else:
        choice = selectors.coach_preference_for(request.user)
        form = CoachSettingsForm(initial={"enabled": "off" if choice is False else "on"})
    return render(
        request,
        "coach/settings.html",
        {"form": form, "choice": selectors.coach_preference_for(request.user)},
    )
