"""Reads for the relationship map. Every read takes the member; nobody else's map is
reachable, and another member's person is a 404, never a hint that it exists."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse

from kinwell.assessments.models import AssessmentResponse
from kinwell.checkins.services import member_today
from kinwell.network import attachment
from kinwell.network.models import SUPPORT_LABELS, Contact, Person


def person_get_for_member(*, user: Any, person_id: int) -> Person:
    return get_object_or_404(Person, pk=person_id, user=user)


def contact_get_for_member(*, user: Any, person: Person, contact_id: int) -> Contact:
    return get_object_or_404(Contact, pk=contact_id, person=person, person__user=user)


def people_queryset(*, user: Any) -> QuerySet[Person]:
    return Person.objects.filter(user=user).order_by("circle", Lower("alias"), "pk")


def people_for_member(*, user: Any) -> list[Person]:
    return list(people_queryset(user=user))


def contacts_for(*, person: Person, limit: int = 30) -> list[Contact]:
    return list(person.contacts.all()[:limit])


def attachment_results(*, user: Any, person: Person | None = None) -> dict[int, list[Any]]:
    """Each person's ECR-RS results, newest first, at most two each: one query."""
    rows = AssessmentResponse.objects.filter(
        user=user,
        instrument=attachment.INSTRUMENT,
        status=AssessmentResponse.Status.COMPLETE,
        person__isnull=False,
    ).order_by("-completed_at", "-id")
    if person is not None:
        rows = rows.filter(person=person)
    found: dict[int, list[Any]] = {}
    for row in rows.only("id", "person_id", "subscales", "completed_at"):
        if row.person_id is None:
            continue
        kept = found.setdefault(row.person_id, [])
        if len(kept) < 2:
            kept.append(row)
    return found


# --- reach-out reminders ------------------------------------------------------------------

SUGGESTIONS = [
    "A short message counts.",
    "Even a quick “thinking of you” is enough.",
    "A voice note, or a photo of something that made you think of them, counts too.",
    "It doesn't need to be a long talk; a few words keep the thread going.",
]


def since_words(days: int) -> str:
    if days <= 1:
        return "a day"
    if days < 14:
        return f"{days} days"
    if days < 60:
        return f"{round(days / 7)} weeks"
    if days < 365:
        return f"about {round(days / 30)} months"
    return "over a year"


@dataclass(frozen=True)
class Nudge:
    person: Person
    days: int | None
    text: str
    suggestion: str
    log_url: str = ""
    page_url: str = ""


def nudge_for(person: Person, today: date) -> Nudge:
    if person.last_contact is not None:
        days: int | None = (today - person.last_contact).days
        text = f"It's been {since_words(days or 0)} since you were in touch with {person.alias}."
    else:
        days = None
        text = f"You haven't noted a time in touch with {person.alias} yet."
    from kinwell.core.context_processors import reverse_pk

    return Nudge(
        person=person,
        days=days,
        text=text,
        suggestion=SUGGESTIONS[person.pk % len(SUGGESTIONS)],
        log_url=reverse_pk("network:contact_log", person.pk),
        page_url=reverse_pk("network:person", person.pk),
    )


def overdue_people(*, user: Any, limit: int = 3) -> list[Nudge]:
    """People whose contact rhythm has run out, most overdue first: one query.

    Overdue means the member's own today (in their time zone) is past the last contact (or
    the day the person was added) plus the rhythm. No rhythm never reminds."""
    today = member_today(user)
    people = Person.objects.filter(user=user, contact_due_on__lt=today).order_by(
        "contact_due_on", "pk"
    )[:limit]
    return [nudge_for(p, today) for p in people]


def is_overdue(person: Person, today: date) -> bool:
    return person.contact_due_on is not None and person.contact_due_on < today


# --- gaps -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    text: str
    url: str = ""
    link_text: str = ""


@dataclass(frozen=True)
class Gap:
    key: str
    title: str
    detail: str
    suggestions: list[Suggestion] = field(default_factory=list)


def _circles_url() -> str:
    """Peer circles are another team's work: link them once their page exists."""
    for name in ("circles:index", "circles:home", "circles:list"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def _peer_circle() -> Suggestion:
    url = _circles_url()
    if url:
        return Suggestion(
            "A peer circle is a small group that meets regularly; people there get to know "
            "each other slowly.",
            url,
            "Find a peer circle",
        )
    return Suggestion(
        "Peer circles, small groups that meet regularly, are coming to Kinwell soon; people "
        "there get to know each other slowly."
    )


def _program() -> Suggestion:
    return Suggestion(
        '"Ten days of reconnection" is a guided program with one small step a day, from '
        "noticing who is around you to reaching out.",
        reverse("programs:program", args=["ten-days-of-reconnection"]),
        "See the program",
    )


def _professional() -> Suggestion:
    return Suggestion(
        "A counsellor or therapist can be someone in your corner too. If things feel heavy "
        "now, you don't have to wait.",
        reverse("safety:help"),
        "Get help now",
    )


def _people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


def map_gaps(people: Sequence[Person]) -> list[Gap]:
    """What the map is missing, spelled out with its counts and one or two next steps."""
    total = len(people)
    if not total:
        return []
    gaps = []
    inner = sum(1 for p in people if p.circle == Person.Circle.INNER)
    if inner == 0:
        gaps.append(
            Gap(
                "no_inner",
                "No one in your inner circle yet",
                f"Inner circle: 0 of the {_people(total)} on your map. That is common, "
                "especially after a hard time, and it can change.",
                [_peer_circle(), _program()],
            )
        )
    emotional = sum(1 for p in people if "emotional" in (p.support_received or []))
    if emotional == 0:
        gaps.append(
            Gap(
                "no_emotional",
                "No one for emotional support yet",
                f"Emotional support: 0 of the {_people(total)} on your map comfort you or "
                "listen when things are hard.",
                [_peer_circle(), _professional()],
            )
        )
    givers = [p for p in people if p.support_received]
    if len(givers) == 1:
        only = givers[0]
        kinds = len(only.support_received)
        kind_names = ", ".join(SUPPORT_LABELS[k].lower() for k in only.support_received)
        gaps.append(
            Gap(
                "one_source",
                f"All the support you receive comes from {only.alias}",
                f"{kinds} kind{'s' if kinds != 1 else ''} of support ({kind_names}), "
                f"from 1 of the {_people(total)} on your map. Leaning on one person is a "
                "lot for both of you.",
                [
                    Suggestion(
                        "Think of one small thing you could ask someone else for, like a "
                        "walk, a lift or a recommendation."
                    ),
                    _peer_circle(),
                ],
            )
        )
    return gaps
