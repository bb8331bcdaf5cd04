from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST

from kinwell.core.forms import apply_validation_error
from kinwell.programs import practices, selectors, services
from kinwell.programs.content import Day, Program
from kinwell.programs.forms import STEP_FORM_ID, ContactForm, StartForm, StepForm
from kinwell.programs.selectors import Progress
from kinwell.safety.help import inline_help


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "programs/index.html",
        {"overview": selectors.programs_overview(user=request.user)},
    )


@login_required
def program(request: HttpRequest, slug: str) -> HttpResponse:
    prog = selectors.program_get(slug)
    progress = selectors.progress_for(user=request.user, program=prog)
    return render(
        request,
        "programs/program.html",
        {
            "program": prog,
            "progress": progress,
            "circles": selectors.circles_running(user=request.user, slug=slug),
        },
    )


@login_required
@require_POST
def enrol(request: HttpRequest, slug: str) -> HttpResponse:
    prog = selectors.program_get(slug)
    try:
        _enrolment, started = services.enrolment_start(user=request.user, slug=slug)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("programs:program", slug)
    if started:
        messages.success(request, f"Welcome to {prog.title}. Day 1 is ready whenever you are.")
    else:
        messages.info(request, "You are already doing this program. Here is where you left off.")
    return redirect("programs:today", slug)


def _rest_page(
    request: HttpRequest, progress: Progress, extra: dict[str, Any] | None = None
) -> HttpResponse:
    return render(request, "programs/rest.html", {"progress": progress, **(extra or {})})


@login_required
def today(request: HttpRequest, slug: str) -> HttpResponse:
    """Today's step: the first day not yet done, whenever the member comes back."""
    prog = selectors.program_get(slug)
    progress = selectors.progress_for(user=request.user, program=prog)
    if progress.enrolment is None or progress.enrolment.status == "left":
        return redirect("programs:program", slug)
    if progress.paused:
        messages.info(request, "This program is paused. Resume it whenever you are ready.")
        return redirect("programs:progress", slug)
    if progress.finished or progress.done_today or progress.next_day is None:
        return _rest_page(request, progress)
    return redirect("programs:day", slug, progress.next_day)


def _practice_context(request: HttpRequest, prog: Program, day: Day) -> dict[str, Any]:
    context: dict[str, Any] = {"practice": practices.describe(day)}
    if day.practice == "reach_out":
        from kinwell.network.selectors import people_for_member

        context["map_url"] = _url("network:index")
        context["new_person_url"] = _url("network:person_new")
        if context["map_url"]:
            context["contact_form"] = ContactForm(user=request.user)
            context["has_people"] = bool(people_for_member(user=request.user))
    elif day.practice == "safety_plan":
        context["plan_url"] = _url("safety:plan")
        context["plan_edit_url"] = _url("safety:plan_edit")
    return context


def _can_share(request: HttpRequest, slug: str) -> bool:
    """Whether the member shares this program's progress with any of their circles."""
    user: Any = request.user
    return selectors.circles_running(user=user, slug=slug).filter(shares__user=user).exists()


@login_required
@require_http_methods(["GET", "POST"])
def day(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    prog = selectors.program_get(slug)
    day_obj = prog.day(number)
    if day_obj is None:
        raise Http404
    progress = selectors.progress_for(user=request.user, program=prog)
    step = progress.step_for(number) if progress.enrolment else None
    base = {"program": prog, "day": day_obj, "progress": progress, "step": step}
    if step is not None:
        if request.method == "POST":
            messages.info(
                request,
                f"You already finished day {number}, and your reflection is saved. "
                "Here it is, ready to read again.",
            )
            return redirect("programs:reflection", step.pk)
        # A day already done can be read and practised again, as often as the member likes.
        return render(
            request,
            "programs/day.html",
            {**base, "revisit": True, **_practice_context(request, prog, day_obj)},
        )
    if progress.enrolment is None or not progress.ongoing:
        messages.info(request, "Start the program to begin with day 1.")
        return redirect("programs:program", slug)
    if progress.paused:
        messages.info(request, "This program is paused. Resume it whenever you are ready.")
        return redirect("programs:progress", slug)
    next_day = progress.next_day
    if next_day is not None and number > next_day:
        messages.info(
            request,
            f"Day {number} opens after day {next_day}. Each day builds on the one before, "
            f"so let's start with day {next_day}.",
        )
        return redirect("programs:day", slug, next_day)
    if progress.done_today:
        # Words typed in another tab are handed back, never silently dropped.
        unsaved = request.POST.get("reflection", "").strip() if request.method == "POST" else ""
        return _rest_page(request, progress, {"unsaved": unsaved})

    form = StepForm(request.POST or None, day=day_obj, can_share=_can_share(request, slug))
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.step_complete(
                user=request.user,
                enrolment_id=progress.enrolment.pk,
                day=number,
                reflection=form.cleaned_data["reflection"],
                practice_notes=form.practice_notes(),
                share=form.cleaned_data.get("share", False),
            )
        except services.StepRefused as exc:
            messages.info(request, exc.messages[0])
            return redirect("programs:today", slug)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            progress = selectors.progress_for(user=request.user, program=prog)
            extra: dict[str, Any] = {"just_saved": saved.step, "held": saved.held}
            if saved.outcome.shows_help:
                # Help goes in this very response, above everything else.
                extra.update(inline_help(user=request.user, level=saved.outcome.level))
                return _rest_page(request, progress, extra)
            return redirect("programs:today", slug)
    return render(
        request,
        "programs/day.html",
        {
            **base,
            "form": form,
            "form_id": STEP_FORM_ID,
            "welcome_back": progress.days_away >= 2 and progress.days_done > 0,
            **_practice_context(request, prog, day_obj),
        },
    )


@login_required
@require_POST
def reach_out(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The reach-out practice logs one contact on the member's map, through the map's own
    service."""
    prog = selectors.program_get(slug)
    day_obj = prog.day(number)
    if day_obj is None or day_obj.practice != "reach_out" or not _url("network:index"):
        raise Http404
    from kinwell.network import services as network_services
    from kinwell.network.models import Contact

    form = ContactForm(request.POST, user=request.user)
    back = reverse("programs:day", args=[slug, number]) + "#practice"
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors["person"]))
        return redirect(back)
    person = form.cleaned_data["person"]
    source = getattr(Contact.Source, "PROGRAM", Contact.Source.MAP)
    try:
        logged = network_services.contact_log(user=request.user, person=person, source=source)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    if logged.created:
        messages.success(request, f"Noted on your map: you reached out to {person.alias} today.")
    else:
        messages.info(
            request, f"Your map already shows you were in touch with {person.alias} today."
        )
    return redirect(back)


@login_required
def progress(request: HttpRequest, slug: str) -> HttpResponse:
    prog = selectors.program_get(slug)
    current = selectors.progress_for(user=request.user, program=prog)
    runs = selectors.runs_for(user=request.user, slug=slug)
    return render(
        request,
        "programs/progress.html",
        {
            "program": prog,
            "progress": current,
            "earlier_runs": [
                r for r in runs if current.enrolment is None or r.pk != current.enrolment.pk
            ],
            "can_share": _can_share(request, slug),
        },
    )


def _ongoing_or_404(request: HttpRequest, slug: str) -> Any:
    enrolment = selectors.latest_enrolment(user=request.user, slug=slug)
    if enrolment is None:
        raise Http404
    return enrolment


@login_required
@require_POST
def pause(request: HttpRequest, slug: str) -> HttpResponse:
    enrolment = _ongoing_or_404(request, slug)
    services.enrolment_pause(user=request.user, enrolment_id=enrolment.pk)
    messages.success(request, "Paused. Your place is kept; come back whenever you like.")
    return redirect("programs:progress", slug)


@login_required
@require_POST
def resume(request: HttpRequest, slug: str) -> HttpResponse:
    enrolment = _ongoing_or_404(request, slug)
    services.enrolment_resume(user=request.user, enrolment_id=enrolment.pk)
    messages.success(request, "Welcome back. Pick up where you left off.")
    return redirect("programs:today", slug)


@login_required
@require_http_methods(["GET", "POST"])
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    prog = selectors.program_get(slug)
    enrolment = _ongoing_or_404(request, slug)
    if request.method == "POST":
        services.enrolment_leave(user=request.user, enrolment_id=enrolment.pk)
        messages.success(
            request,
            f"You have stopped {prog.title}. Your reflections are kept for you, and you can "
            "start again any time.",
        )
        return redirect("programs:index")
    return render(request, "programs/leave.html", {"program": prog, "enrolment": enrolment})


@login_required
def reflection(request: HttpRequest, step_id: int) -> HttpResponse:
    step = selectors.step_get_for_member(user=request.user, step_id=step_id)
    prog = selectors.program_get(step.enrolment.program)
    return render(
        request,
        "programs/reflection.html",
        {
            "step": step,
            "program": prog,
            "day": prog.day(step.day),
            "can_share": _can_share(request, prog.slug),
        },
    )


@login_required
@require_POST
def reflection_share(request: HttpRequest, step_id: int) -> HttpResponse:
    step = selectors.step_get_for_member(user=request.user, step_id=step_id)
    share = request.POST.get("share") == "1"
    try:
        services.step_share_set(user=request.user, step_id=step.pk, shared=share)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            "Shared with your circle." if share else "This reflection is private again.",
        )
    if request.POST.get("next") == "progress":
        return redirect("programs:progress", step.enrolment.program)
    return redirect("programs:reflection", step.pk)


# --- Circles --------------------------------------------------------------------------


def _board_or_redirect(request: HttpRequest, circle_id: int) -> Any:
    from kinwell.circles.selectors import AgreementsNeeded

    try:
        return selectors.circle_board(user=request.user, circle_id=circle_id)
    except AgreementsNeeded:
        messages.info(request, "Please read your circle's latest agreements first.")
        return redirect("circles:agreements", circle_id)


@login_required
def circle(request: HttpRequest, circle_id: int) -> HttpResponse:
    board = _board_or_redirect(request, circle_id)
    if isinstance(board, HttpResponse):
        return board
    form = (
        StartForm(choices=[(p.slug, p.title) for p in board.can_start]) if board.can_start else None
    )
    return render(request, "programs/circle.html", {"board": board, "start_form": form})


def _circle_action(request: HttpRequest, circle_id: int, action: Any) -> HttpResponse:
    from kinwell.circles.selectors import AgreementsNeeded

    try:
        message = action()
    except AgreementsNeeded:
        return redirect("circles:agreements", circle_id)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(
            request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        )
    else:
        if message:
            messages.success(request, message)
    return redirect("programs:circle", circle_id)


@login_required
@require_POST
def circle_start(request: HttpRequest, circle_id: int) -> HttpResponse:
    def start() -> str:
        slug = request.POST.get("program", "")
        services.circle_program_start(actor=request.user, circle_id=circle_id, slug=slug)
        return "Started. Everyone in the circle has been told, and can join in at their own pace."

    return _circle_action(request, circle_id, start)


@login_required
@require_POST
def circle_end(request: HttpRequest, circle_id: int, circle_program_id: int) -> HttpResponse:
    def end() -> str:
        services.circle_program_end(
            actor=request.user, circle_id=circle_id, circle_program_id=circle_program_id
        )
        return "Ended for the circle. Everyone keeps their own progress and can carry on alone."

    return _circle_action(request, circle_id, end)


@login_required
@require_POST
def circle_share(request: HttpRequest, circle_id: int, circle_program_id: int) -> HttpResponse:
    share = request.POST.get("share") == "1"

    def set_share() -> str:
        services.progress_share_set(
            user=request.user,
            circle_id=circle_id,
            circle_program_id=circle_program_id,
            share=share,
        )
        if share:
            return "You now share your progress with this circle."
        return "You no longer share your progress with this circle."

    return _circle_action(request, circle_id, set_share)


@login_required
@require_POST
def circle_ack(request: HttpRequest, circle_id: int, step_id: int) -> HttpResponse:
    def ack() -> str:
        _ack, created = services.reflection_ack(
            user=request.user, circle_id=circle_id, step_id=step_id
        )
        return "They will know you saw them." if created else "You already let them know."

    return _circle_action(request, circle_id, ack)
