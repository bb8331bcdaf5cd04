from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from kinwell.checkins import selectors, services
from kinwell.checkins.forms import CheckInForm
from kinwell.checkins.models import FIVE_S
from kinwell.safety.help import inline_help


@login_required
@require_http_methods(["GET", "POST"])
def today(request: HttpRequest) -> HttpResponse:
    existing = selectors.checkin_today(user=request.user)
    initial = model_to_dict(existing) if existing else None
    if existing is not None and initial is not None:
        initial["connections"] = selectors.connections_of(checkin=existing)
        from kinwell.circles.selectors import shares_of

        shares = shares_of(user=request.user, checkin_ids=[existing.pk]).get(existing.pk, [])
        initial["share_with"] = [share.circle_id for share in shares]
        from kinwell.care.models import SharedCheckIn

        clinician = SharedCheckIn.objects.filter(checkin=existing).first()
        initial["share_clinician"] = clinician is not None
        initial["connected_circles"] = list(
            existing.circle_connections.values_list("circle_id", flat=True)
        )
        initial["share_note"] = any(share.include_note for share in shares) or bool(
            clinician and clinician.include_note
        )
    form = CheckInForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        checkin, outcome = services.checkin_save(user=request.user, **form.cleaned_data)
        if outcome.shows_help:
            # Help goes in this very response, above everything else.
            return render(
                request,
                "checkins/saved.html",
                {"checkin": checkin, **inline_help(user=request.user, level=outcome.level)},
            )
        messages.success(request, "Checked in. Thank you for taking a moment for yourself.")
        return redirect("core:home")
    return render(
        request, "checkins/today.html", {"form": form, "existing": existing, "five_s": FIVE_S}
    )


@login_required
def insights(request: HttpRequest) -> HttpResponse:
    from kinwell.checkins.insights import summary
    from kinwell.core.charts import line_chart

    raw = request.GET.get("days", "30")
    days = int(raw) if raw in ("7", "30", "90") else 30
    checkins = selectors.checkins_between(user=request.user, days=days)
    data = summary(checkins)
    for row in data["averages"]:
        row["chart"] = line_chart(row["points"], 0, 4, []) if len(row["points"]) > 1 else None
    # The same numbers feed Chart.js (when script runs) and the table beside it.
    series = {
        "days": [c.day.strftime("%d %b") for c in checkins],
        "lines": [
            {"label": label, "values": [getattr(c, name) for c in checkins]}
            for name, label, *_ in FIVE_S
        ],
        "window": {"labels": [w["label"] for w in data["window"]],
                   "counts": [w["count"] for w in data["window"]]},
    }  # fmt: skip
    return render(
        request,
        "checkins/insights.html",
        {"days": days, "checkins": checkins, "series": series, **data},
    )


@login_required
def week(request: HttpRequest) -> HttpResponse:
    from datetime import timedelta

    from kinwell.checkins.insights import weekly_reflection
    from kinwell.checkins.services import member_today

    raw = request.GET.get("weeks_ago", "0")
    weeks_ago = int(raw) if raw.isdigit() and int(raw) <= 12 else 0
    end = member_today(request.user) - timedelta(days=7 * weeks_ago)
    data = weekly_reflection(user=request.user, end=end)
    return render(request, "checkins/week.html", {"weeks_ago": weeks_ago, **data})


@login_required
def history(request: HttpRequest) -> HttpResponse:
    from kinwell.circles.selectors import shares_of

    checkins = selectors.checkins_recent_with_people(user=request.user, days=30)
    from kinwell.care.models import SharedCheckIn

    ids = [c.pk for c in checkins]
    shares = shares_of(user=request.user, checkin_ids=ids)
    with_clinician = set(
        SharedCheckIn.objects.filter(checkin_id__in=ids).values_list("checkin_id", flat=True)
    )
    for checkin in checkins:
        checkin.shares = shares.get(checkin.pk, [])  # type: ignore[attr-defined]
        checkin.with_clinician = checkin.pk in with_clinician  # type: ignore[attr-defined]
    return render(
        request,
        "checkins/history.html",
        {"checkins": checkins, "days": selectors.days_checked_in(user=request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def reminders(request: HttpRequest) -> HttpResponse:
    from django.core.exceptions import ValidationError

    from kinwell.checkins.forms import ReminderForm
    from kinwell.checkins.models import Reminder
    from kinwell.core.forms import apply_validation_error

    current = Reminder.objects.filter(user_id=request.user.pk or 0).first()
    initial = (
        {"enabled": current.enabled, "at": current.at, "channel": current.channel}
        if current
        else {"enabled": True, "at": "20:00", "channel": Reminder.Channel.IN_APP}
    )
    form = ReminderForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.reminder_save(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(
                request,
                "Saved. We will remind you gently, and never on a day you already checked in."
                if form.cleaned_data["enabled"]
                else "Reminders are off.",
            )
            return redirect("checkins:today")
    return render(request, "checkins/reminders.html", {"form": form})
