import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from kinwell.assessments import fhir, selectors, services
from kinwell.assessments.forms import InstrumentForm
from kinwell.assessments.instruments import Instrument, get
from kinwell.assessments.scoring import reliable_change
from kinwell.core.charts import line_chart, plane
from kinwell.safety.help import inline_help

ASQ_LABELS = {
    "negative": "Negative screen",
    "non_acute_positive": "Positive screen (not acute)",
    "acute_positive": "Positive screen (acute)",
    "positive_acuity_unknown": "Positive screen",
}


def _day(moment: Any, fmt: str) -> str:
    return timezone.localtime(moment).strftime(fmt) if moment else ""


def _instrument_or_404(instrument_id: str) -> Instrument:
    instrument = get(instrument_id)
    if instrument is None:
        raise Http404("No such questionnaire.")
    return instrument


def _about_one_person(request: HttpRequest, instrument: Instrument) -> HttpResponse | None:
    """Questionnaires about one relationship are taken from that person's page."""
    if not instrument.per_person:
        return None
    messages.info(
        request,
        f"The {instrument.short_name} is about one person. Open someone on your map and "
        "choose “How do you feel in this relationship?”.",
    )
    return redirect("network:index")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    latest = selectors.latest_by_instrument(user=request.user)
    rows = [(i, latest.get(i.id)) for i in selectors.all_instruments()]
    return render(request, "assessments/index.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def take(request: HttpRequest, instrument_id: str) -> HttpResponse:
    instrument = _instrument_or_404(instrument_id)
    if elsewhere := _about_one_person(request, instrument):
        return elsewhere
    draft = services.draft_for(user=request.user, instrument_id=instrument_id)
    if request.method == "POST":
        data = request.POST.copy()
        if instrument.id == "asq" and all(data.get(f"q{i}") == "0" for i in "1234"):
            data.pop("q5", None)  # the acuity question is only for a positive screen
        form = InstrumentForm(instrument, data)
        action = request.POST.get("action", "submit")
        draft_id = request.POST.get("draft_id") or None
        if form.is_valid():
            if action == "save":
                services.draft_save(
                    user=request.user, instrument_id=instrument_id, answers=form.answers()
                )
                messages.success(request, "Saved. Pick up where you left off any time.")
                return redirect("assessments:index")
            missing = form.missing_required()
            for link_id in missing:
                form.add_error(f"q{link_id}", "Please choose an answer to this question.")
            if not missing:
                try:
                    response, result = services.response_submit(
                        user=request.user,
                        instrument_id=instrument_id,
                        answers=form.answers(),
                        draft_id=int(draft_id) if draft_id and draft_id.isdigit() else None,
                    )
                except services.AlreadySubmitted as exc:
                    messages.info(request, " ".join(exc.messages))
                    return redirect("assessments:index")
                except ValidationError as exc:
                    form.add_error(None, exc.messages)
                else:
                    if result.safety:
                        return _result_page(request, instrument, response, result.safety)
                    return redirect("assessments:result", response_id=response.pk)
    else:
        initial = {f"q{k}": str(v) for k, v in (draft.answers if draft else {}).items()}
        form = InstrumentForm(instrument, initial=initial)
    return render(
        request,
        "assessments/take.html",
        {"instrument": instrument, "form": form, "draft": draft, "meta": instrument.meta},
    )


def _result_page(
    request: HttpRequest, instrument: Instrument, response: Any, safety: str | None = None
) -> HttpResponse:
    history = list(selectors.history_for(user=request.user, instrument_id=instrument.id))
    earlier = [r for r in history if r.pk != response.pk and r.completed_at < response.completed_at]
    previous = earlier[-1] if earlier else None
    band = next((b for b in instrument.meta["bands"] if b["id"] == response.band), None)
    messages_for_flags = [
        f["message"]
        for f in instrument.meta["flags"]
        if f["id"] in response.flags and f.get("message")
    ]
    context = {
        "instrument": instrument,
        "meta": instrument.meta,
        "response": response,
        "band": band,
        "flag_messages": messages_for_flags,
        "previous": previous,
        "change": reliable_change(instrument, previous.total, response.total) if previous else None,
        "subscale_labels": {s["id"]: s["label"] for s in instrument.scoring.get("subscales", [])},
        "asq_label": ASQ_LABELS.get(response.band) if instrument.id == "asq" else None,
    }
    if safety:
        context.update(inline_help(user=request.user, level=safety))
    return render(request, "assessments/result.html", context)


@login_required
def result(request: HttpRequest, response_id: int) -> HttpResponse:
    response = selectors.response_get_for_member(user=request.user, response_id=response_id)
    instrument = _instrument_or_404(response.instrument)
    safety = None
    if "asq_acute" in response.flags or "asq_acuity_not_asked" in response.flags:
        safety = "urgent"
    elif "asq_positive" in response.flags or any(
        f.get("safety") and f["id"] in response.flags for f in instrument.meta["flags"]
    ):
        safety = "concern"
    return _result_page(request, instrument, response, safety)


@login_required
def history(request: HttpRequest, instrument_id: str) -> HttpResponse:
    instrument = _instrument_or_404(instrument_id)
    if elsewhere := _about_one_person(request, instrument):
        return elsewhere
    rows = list(selectors.history_for(user=request.user, instrument_id=instrument_id))
    labels = {b["id"]: b["label"] for b in instrument.meta["bands"]}
    labels.update(ASQ_LABELS)
    table: list[dict[str, Any]] = []
    previous = None
    for row in rows:
        table.append(
            {
                "row": row,
                "band_label": labels.get(row.band, ""),
                "change": reliable_change(instrument, previous.total, row.total)
                if previous
                else None,
            }
        )
        previous = row
    chart = None
    ecr = None
    if instrument.id == "ecr-r":
        ecr = plane(
            [
                (
                    _day(r.completed_at, "%d %b %Y"),
                    r.subscales.get("anxiety", 4),
                    r.subscales.get("avoidance", 4),
                )
                for r in rows
            ]
        )
    elif rows and rows[-1].total is not None:
        lows = [o.value for o in instrument.items[0].options]
        method = instrument.scoring["total"]["method"]
        n = len(instrument.scoring["total"]["items"])
        low = min(lows) * (n if method == "sum" else 1)
        high = max(lows) * (n if method == "sum" else 1)
        chart = line_chart(
            [(_day(r.completed_at, "%d %b"), float(r.total or 0)) for r in rows],
            low,
            high,
            instrument.meta["bands"],
        )
    schedule = request.user.retake_schedules.filter(instrument=instrument_id).first()  # type: ignore[union-attr]
    return render(
        request,
        "assessments/history.html",
        {
            "instrument": instrument,
            "table": table,
            "chart": chart,
            "ecr": ecr,
            "schedule": schedule,
        },
    )


@login_required
@require_POST
def schedule(request: HttpRequest, instrument_id: str) -> HttpResponse:
    raw = request.POST.get("every_days", "")
    try:
        services.retake_schedule_set(
            user=request.user, instrument_id=instrument_id, every_days=int(raw) if raw else None
        )
    except (ValueError, ValidationError) as exc:
        messages.error(
            request, " ".join(getattr(exc, "messages", ["Choose between 7 and 90 days."]))
        )
    else:
        messages.success(request, "Reminder saved." if raw else "Reminder turned off.")
    return redirect("assessments:history", instrument_id=instrument_id)


def fhir_questionnaire(request: HttpRequest, instrument_id: str) -> HttpResponse:
    instrument = _instrument_or_404(instrument_id)
    return JsonResponse(fhir.questionnaire(instrument), content_type="application/fhir+json")


@login_required
def fhir_response(request: HttpRequest, response_id: int) -> HttpResponse:
    response = selectors.response_get_for_member(user=request.user, response_id=response_id)
    payload = fhir.questionnaire_response(response, base=request.build_absolute_uri("/")[:-1])
    http = HttpResponse(json.dumps(payload, indent=2), content_type="application/fhir+json")
    http["Content-Disposition"] = (
        f'attachment; filename="questionnaire-response-{response.pk}.json"'
    )
    return http
