from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kinwell.accounts.consent import consent_texts
from kinwell.accounts.services import consents_current
from kinwell.assessments.selectors import due_retakes
from kinwell.checkins.selectors import checked_in_today
from kinwell.core import privacy
from kinwell.core.selectors import audit_events_about, notifications_for
from kinwell.core.services import notifications_mark_read
from kinwell.network.selectors import overdue_people


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return home(request)
    return render(request, "core/landing.html")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from kinwell.checkins.services import member_today
    from kinwell.core.homecache import cached_home

    user = request.user

    def build() -> HttpResponse:
        return render(
            request,
            "core/home.html",
            {
                "notifications": notifications_for(user=user, limit=5),
                "checked_in": checked_in_today(user=user),
                "due": due_retakes(user=user),
                "nudges": overdue_people(user=user, limit=3),
            },
        )

    return cached_home(request, member_today(user), build)


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    notifications_mark_read(user=request.user)
    if request.htmx:  # type: ignore[attr-defined]
        # htmx swaps just the list, now shown as read, without reloading the page.
        return render(
            request,
            "core/_notification_list.html",
            {"notifications": notifications_for(user=request.user, limit=5)},
        )
    return redirect("core:home")


@login_required
def privacy_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/privacy.html",
        {
            "categories": [c for c in privacy.categories() if not c.kept_on_delete],
            "consents": consents_current(user=request.user),  # type: ignore[arg-type]
            "access_log": audit_events_about(user=request.user),
            "texts": consent_texts(),
        },
    )


def policy(request: HttpRequest, purpose: str) -> HttpResponse:
    texts = consent_texts()
    if purpose not in texts:
        messages.error(request, "There is no such page.")
        return redirect("core:landing")
    return render(request, "core/policy.html", {"text": texts[purpose], "purpose": purpose})
