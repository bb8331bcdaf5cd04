from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from kinwell.accounts.roles import has_role
from kinwell.core.forms import apply_validation_error
from kinwell.safety import report_targets, selectors, services, sources, spaces
from kinwell.safety.crisis_lines import crisis_lines
from kinwell.safety.forms import (
    AppealDecisionForm,
    AppealForm,
    DecisionForm,
    NoteForm,
    ReportForm,
    ResolveForm,
    SafetyPlanForm,
)
from kinwell.safety.models import PLAN_STEPS


def _country_from_request(request: HttpRequest) -> str:
    chosen = request.GET.get("country", "").strip().upper()
    if chosen:
        return chosen
    user = request.user
    country = str(getattr(user, "country", "") or "")
    if user.is_authenticated and country:
        return country
    # A visitor who is not signed in: guess from the browser's language region
    # (en-GB -> GB); the picker is always there to correct it.
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip()
        if "-" in tag:
            return tag.split("-")[-1].upper()
    return ""


def help_now(request: HttpRequest) -> HttpResponse:
    lines = crisis_lines()
    code = _country_from_request(request)
    country = lines.for_country(code)
    unknown = bool(request.GET.get("country")) and country is None
    plan = selectors.safety_plan_for(user=request.user) if request.user.is_authenticated else None
    return render(
        request,
        "safety/help.html",
        {
            "country": country,
            "international": lines.international,
            "choices": lines.choices(),
            "selected": country.code if country else "",
            "unknown": unknown,
            "reviewed": lines.reviewed,
            "plan": plan if plan and not plan.is_empty() else None,
        },
    )


# --- Safety plan ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest) -> HttpResponse:
    plan = selectors.safety_plan_for(user=request.user)
    initial = {name: getattr(plan, name) for name, _ in PLAN_STEPS} if plan else {}
    if plan:
        initial["share_with_clinician"] = plan.share_with_clinician
    form = SafetyPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.safety_plan_save(user=request.user, **form.cleaned_data)
        messages.success(request, "Your safety plan is saved. It is one tap away on every page.")
        return redirect("safety:plan")
    return render(request, "safety/plan_edit.html", {"form": form, "plan": plan})


@login_required
def plan_view(request: HttpRequest) -> HttpResponse:
    plan = selectors.safety_plan_for(user=request.user)
    if plan is None or plan.is_empty():
        return redirect("safety:plan_edit")
    steps = [(label, getattr(plan, name)) for name, label in PLAN_STEPS]
    lines = crisis_lines()
    return render(
        request,
        "safety/plan.html",
        {"plan": plan, "steps": steps, "country": lines.for_country(request.user.country)},  # type: ignore[union-attr]
    )


# --- Escalation queue -----------------------------------------------------------------


def _queue_guard(request: HttpRequest) -> None:
    if not selectors.can_see_queue(request.user):
        raise PermissionDenied("The safety queue is for facilitators and moderators.")


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    _queue_guard(request)
    state = request.GET.get("state", "open")
    if state not in ("open", "acknowledged", "resolved", "all"):
        state = "open"
    rows = selectors.escalations_for_queue(
        user=request.user, state="" if state == "all" else state
    )[:200]
    return render(
        request,
        "safety/queue.html",
        {"rows": rows, "state": state},
    )


@login_required
@require_http_methods(["GET", "POST"])
def escalation_detail(request: HttpRequest, escalation_id: int) -> HttpResponse:
    _queue_guard(request)
    escalation = selectors.escalation_open_for_handler(
        user=request.user, escalation_id=escalation_id
    )
    return render(
        request,
        "safety/escalation.html",
        {
            "e": escalation,
            "notes": escalation.notes.all(),
            "note_form": NoteForm(),
            "resolve_form": ResolveForm(),
            "source_label": sources.label(escalation.source_type),
            "space_label": spaces.label(escalation.space),
        },
    )


@login_required
@require_POST
def escalation_acknowledge(request: HttpRequest, escalation_id: int) -> HttpResponse:
    try:
        services.escalation_acknowledge(actor=request.user, escalation_id=escalation_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "You have it. The member's text stays as they wrote it.")
    return redirect("safety:escalation", escalation_id=escalation_id)


@login_required
@require_POST
def escalation_resolve(request: HttpRequest, escalation_id: int) -> HttpResponse:
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say briefly what was done, so the next person knows.")
        return redirect("safety:escalation", escalation_id=escalation_id)
    try:
        services.escalation_resolve(
            actor=request.user, escalation_id=escalation_id, note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Resolved. Thank you for looking after them.")
    return redirect("safety:escalation", escalation_id=escalation_id)


@login_required
@require_POST
def escalation_note(request: HttpRequest, escalation_id: int) -> HttpResponse:
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.escalation_add_note(
                actor=request.user, escalation_id=escalation_id, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, "The note is empty.")
    return redirect("safety:escalation", escalation_id=escalation_id)


# --- Members, blocks, mutes, reports --------------------------------------------------


@login_required
def member(request: HttpRequest, member_id: int) -> HttpResponse:
    other = selectors.member_visible_to(viewer=request.user, member_id=member_id)
    if other is None:
        raise Http404("No such member.")
    return render(
        request,
        "safety/member.html",
        {
            "other": other,
            "is_me": other.pk == request.user.pk,
            "muted": other.pk in selectors.muted_ids_for(user=request.user),
        },
    )


@login_required
def people(request: HttpRequest) -> HttpResponse:
    from kinwell.safety.models import Block, Mute

    user: Any = request.user
    return render(
        request,
        "safety/people.html",
        {
            "blocks": Block.objects.filter(blocker=user).select_related("blocked"),
            "mutes": Mute.objects.filter(muter=user).select_related("muted"),
        },
    )


@login_required
@require_POST
def relation_change(request: HttpRequest, member_id: int, change: str) -> HttpResponse:
    actions = {
        "block": (services.block_create, "Blocked. You won't see each other anywhere on Kinwell."),
        "unblock": (services.block_remove, "Unblocked."),
        "mute": (services.mute_create, "Muted. You won't see their posts; they are not told."),
        "unmute": (services.mute_remove, "Unmuted."),
    }
    if change not in actions:
        raise Http404("Unknown action.")
    action, message = actions[change]
    try:
        action(actor=request.user, other_id=member_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("safety:people")
    messages.success(request, message)
    return redirect("safety:people")


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, target_type: str, target_id: int) -> HttpResponse:
    owner = report_targets.owner_of(target_type, target_id, viewer=request.user)
    if owner is None:
        raise Http404("There is nothing to report there.")
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(
                reporter=request.user,
                target_type=target_type,
                target_id=target_id,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(
                request,
                "Thank you. A moderator will look at it. The person is not told who reported.",
            )
            return redirect("core:home")
    return render(
        request,
        "safety/report.html",
        {"form": form, "target_label": report_targets.label(target_type), "owner": owner},
    )


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "safety/reports.html",
        {
            "reports": selectors.reports_open(user=request.user)[:200],
            "appeals": selectors.appeals_open(user=request.user)[:200],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_decide(request: HttpRequest, report_id: int) -> HttpResponse:
    if not has_role(request.user, "moderator"):
        raise PermissionDenied("Reports are for moderators.")
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.report_decide(
                moderator=request.user,
                report_id=report_id,
                action=data["action"],
                rule=data["rule"],
                reason=data["reason"],
                pause_days=data.get("pause_days") or 0,
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Decision saved and shown to the member.")
            return redirect("safety:reports")
    the_report = selectors.report_for_moderator(user=request.user, report_id=report_id)
    return render(
        request,
        "safety/report_decide.html",
        {
            "report": the_report,
            "form": form,
            "target_text": report_targets.text_of(the_report.target_type, the_report.target_id),
        },
    )


@login_required
def decisions(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "safety/decisions.html",
        {"decisions": selectors.decisions_for_member(user=request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def appeal(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision = selectors.decision_for_member(user=request.user, decision_id=decision_id)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_create(
                member=request.user, decision_id=decision.pk, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Your appeal is sent. Another moderator will review it.")
            return redirect("safety:decisions")
    return render(request, "safety/appeal.html", {"decision": decision, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def appeal_decide(request: HttpRequest, appeal_id: int) -> HttpResponse:
    the_appeal = selectors.appeals_open(user=request.user).filter(pk=appeal_id).first()
    if the_appeal is None:
        raise Http404("No such open appeal.")
    form = AppealDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_decide(
                reviewer=request.user,
                appeal_id=appeal_id,
                overturn=form.cleaned_data["outcome"] == "overturn",
                reason=form.cleaned_data["reason"],
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, str(exc) if isinstance(exc, PermissionDenied) else exc.messages)
        else:
            messages.success(request, "Appeal reviewed; the member has been told.")
            return redirect("safety:reports")
    return render(request, "safety/appeal_decide.html", {"appeal": the_appeal, "form": form})
