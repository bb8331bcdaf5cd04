from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from kinwell.assessments import services as assessment_services
from kinwell.assessments.forms import InstrumentForm
from kinwell.assessments.instruments import get as get_instrument
from kinwell.checkins.services import member_today
from kinwell.core.forms import apply_validation_error
from kinwell.network import attachment, picture, selectors, services
from kinwell.network.forms import ContactForm, PersonForm
from kinwell.network.models import Contact, Person
from kinwell.safety.help import inline_help


def _problem(request: HttpRequest, reason: str, status: int = 400) -> HttpResponse:
    return render(request, "network/problem.html", {"reason": reason}, status=status)


def _map_context(request: HttpRequest, status: str = "") -> dict[str, Any]:
    people = selectors.people_for_member(user=request.user)
    results = selectors.attachment_results(user=request.user)
    today = member_today(request.user)
    groups: list[dict[str, Any]] = [
        {"circle": value, "label": label, "rows": []} for value, label in Person.Circle.choices
    ]
    for p in people:
        groups[p.circle - 1]["rows"].append(
            {
                "person": p,
                "overdue": selectors.is_overdue(p, today),
                "feels": attachment.summary(p.alias, results.get(p.pk, [])),
            }
        )
    return {
        "people": people,
        "groups": groups,
        "picture": picture.layout(people),
        "legend": picture.legend(),
        "gaps": selectors.map_gaps(people),
        "status": status,
    }


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "network/index.html", _map_context(request))


@login_required
@require_http_methods(["GET", "POST"])
def person_new(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"{person.alias} is on your map.")
            return redirect("network:index")
    return render(request, "network/person_new.html", {"form": form})


def _person_page(
    request: HttpRequest,
    person: Person,
    form: PersonForm | None = None,
    contact_form: ContactForm | None = None,
    status: int = 200,
) -> HttpResponse:
    results = selectors.attachment_results(user=request.user, person=person)
    today = member_today(request.user)
    return render(
        request,
        "network/person.html",
        {
            "person": person,
            "form": form or PersonForm(initial=PersonForm.initial_for(person)),
            "contact_form": contact_form or ContactForm(),
            "contacts": selectors.contacts_for(person=person),
            "feels": attachment.summary(person.alias, results.get(person.pk, [])),
            "overdue": selectors.is_overdue(person, today),
            "today": today,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def person(request: HttpRequest, person_id: int) -> HttpResponse:
    """A person's page; tapping someone on the picture lands here, on their details form."""
    found = selectors.person_get_for_member(user=request.user, person_id=person_id)
    if request.method == "GET":
        return _person_page(request, found)
    form = PersonForm(request.POST)
    if form.is_valid():
        try:
            services.person_update(user=request.user, person=found, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            found.refresh_from_db()
        else:
            messages.success(request, f"Saved the changes for {found.alias}.")
            return redirect("network:person", person_id=found.pk)
    messages.error(request, "Nothing was changed yet: please check the details below.")
    return _person_page(request, found, form=form)


@login_required
@require_http_methods(["GET", "POST"])
def person_delete(request: HttpRequest, person_id: int) -> HttpResponse:
    found = selectors.person_get_for_member(user=request.user, person_id=person_id)
    if request.method == "POST":
        alias = found.alias
        services.person_delete(user=request.user, person=found)
        messages.success(request, f"{alias} is no longer on your map.")
        return redirect("network:index")
    return render(request, "network/person_delete.html", {"person": found})


@login_required
@require_POST
def person_move(request: HttpRequest, person_id: int) -> HttpResponse:
    found = selectors.person_get_for_member(user=request.user, person_id=person_id)
    direction = request.POST.get("direction", "")
    if direction not in services.DIRECTIONS:
        return _problem(request, "Choose whether to move them closer or further.")
    try:
        services.person_move(user=request.user, person=found, direction=direction)
    except ValidationError as exc:
        status = " ".join(exc.messages)
        level = messages.INFO
    else:
        status = f"{found.alias} is now in your {found.get_circle_display().lower()}."
        level = messages.SUCCESS
    back_to_map = request.POST.get("back") == "map"
    if back_to_map and request.htmx:  # type: ignore[attr-defined]
        # htmx swaps the picture, the list and the gaps; the buttons keep their ids, so
        # htmx returns focus to the one just pressed.
        return render(request, "network/_map.html", _map_context(request, status=status))
    messages.add_message(request, level, status)
    if back_to_map:
        return redirect("network:index")
    return redirect("network:person", person_id=found.pk)


@login_required
@require_POST
def contact_log(request: HttpRequest, person_id: int) -> HttpResponse:
    """Log time in touch: one tap from a home-page reminder, or with a day and a note from
    the person's page. Logging the same day twice is harmless and says so."""
    found = selectors.person_get_for_member(user=request.user, person_id=person_id)
    from_home = request.POST.get("from") == "home"
    form = ContactForm(request.POST)
    logged = None
    if form.is_valid():
        try:
            logged = services.contact_log(
                user=request.user,
                person=found,
                day=form.cleaned_data["day"],
                note=form.cleaned_data["note"],
                source=Contact.Source.HOME if from_home else Contact.Source.MAP,
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
    if logged is None:
        if from_home:
            return _problem(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
        messages.error(request, "That was not logged yet: please check below.")
        return _person_page(request, found, contact_form=form)
    when = "today" if logged.contact.day == member_today(request.user) else "that day"
    if logged.created:
        text = f"Logged: you were in touch with {found.alias} {when}."
    else:
        text = f"Already logged: you were in touch with {found.alias} {when}."
    if logged.outcome.shows_help:
        # Help goes in this very response, above everything else.
        return render(
            request,
            "network/contact_saved.html",
            {
                "person": found,
                "text": text,
                **inline_help(user=request.user, level=logged.outcome.level),
            },
        )
    if from_home and request.htmx:  # type: ignore[attr-defined]
        return render(request, "network/_nudge_done.html", {"person": found, "text": text})
    messages.add_message(request, messages.SUCCESS if logged.created else messages.INFO, text)
    if from_home:
        return redirect("core:home")
    return redirect("network:person", person_id=found.pk)


@login_required
@require_POST
def contact_delete(request: HttpRequest, person_id: int, contact_id: int) -> HttpResponse:
    found = selectors.person_get_for_member(user=request.user, person_id=person_id)
    contact = selectors.contact_get_for_member(
        user=request.user, person=found, contact_id=contact_id
    )
    services.contact_delete(user=request.user, contact=contact)
    messages.success(request, f"Removed the entry for {contact.day:%-d %B %Y}.")
    return redirect("network:person", person_id=found.pk)


@login_required
@require_http_methods(["GET", "POST"])
def person_attachment(request: HttpRequest, person_id: int) -> HttpResponse:
    """The ECR-RS about one relationship: "How do you feel in this relationship?"."""
    found = selectors.person_get_for_member(user=request.user, person_id=person_id)
    instrument = get_instrument(attachment.INSTRUMENT)
    if instrument is None:
        return _problem(request, "This questionnaire is not available here.", status=404)
    # Bound on every POST: an empty one (no answer chosen) must show the errors, not 500.
    form = InstrumentForm(instrument, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        valid = form.is_valid()
        # Every unanswered question is marked at once, not one problem at a time.
        missing = [m for m in form.missing_required() if f"q{m}" not in form.errors]
        for link_id in missing:
            form.add_error(f"q{link_id}", "Please choose an answer to this question.")
        if valid and not missing:
            try:
                assessment_services.response_submit(
                    user=request.user,
                    instrument_id=instrument.id,
                    answers=form.answers(),
                    person=found,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, f"Thank you. Your answers about {found.alias} are saved.")
                return redirect(reverse("network:person", args=[found.pk]) + "#feels")
    return render(
        request,
        "network/attachment.html",
        {"person": found, "instrument": instrument, "meta": instrument.meta, "form": form},
    )
