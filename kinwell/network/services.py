"""Writes for the relationship map. Every change to a person or a contact goes through here.

Dates are the member's own calendar days (their time zone), as for check-ins. Each write
keeps `last_contact` and `contact_due_on` up to date, so reading reminders is one query.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Value
from django.db.models.functions import Lower

from kinwell.checkins.services import member_today
from kinwell.network.models import ALIAS_MAX, NOTE_MAX, Contact, Person
from kinwell.safety.services import SafetyOutcome, text_screen

# Dunbar's rough limit on stable relationships; also keeps one member's map drawable.
MAX_PEOPLE = 150
DIRECTIONS = {"closer": -1, "further": 1}


@dataclass(frozen=True)
class ContactLogged:
    contact: Contact
    created: bool
    outcome: SafetyOutcome


def _own(user: Any, person: Person) -> None:
    if person.user_id != user.pk:
        raise PermissionDenied


def _clean_alias(alias: str) -> str:
    return " ".join((alias or "").split())


def _check_alias(user: Any, alias: str, exclude_pk: int | None) -> None:
    if not alias:
        raise ValidationError({"alias": "Give them a name or a nickname only you will see."})
    if len(alias) > ALIAS_MAX:
        raise ValidationError(
            {
                "alias": f"Please keep the name to {ALIAS_MAX} characters or fewer "
                f"(this one has {len(alias)})."
            }
        )
    # Compared in the database, the same way the unique constraint compares.
    others = Person.objects.filter(user=user)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    taken = others.alias(key=Lower("alias")).filter(key=Lower(Value(alias))).exists()
    if taken:
        raise ValidationError(
            {
                "alias": f"You already have someone called “{alias}” on your map. "
                "Add an initial or a detail to tell them apart."
            }
        )


def _check_not_future(user: Any, day: date | None, field: str) -> None:
    if day is not None and day > member_today(user):
        raise ValidationError(
            {field: "That date is still to come. Choose today or an earlier day."}
        )


def _refresh(person: Person) -> None:
    """Recompute the last contact (the noted date or the latest logged one) and the day a
    reminder becomes due; save both."""
    latest = person.contacts.aggregate(latest=Max("day"))["latest"]
    known = [d for d in (person.last_contact_noted, latest) if d is not None]
    person.last_contact = max(known) if known else None
    if person.rhythm_days:
        base = person.last_contact or person.added_on
        person.contact_due_on = base + timedelta(days=person.rhythm_days)
    else:
        person.contact_due_on = None
    person.save(update_fields=["last_contact", "contact_due_on", "updated_at"])


def _apply(person: Person, values: dict[str, Any]) -> None:
    person.kind = values["kind"]
    person.circle = values["circle"]
    person.support_received = list(values.get("support_received") or [])
    person.support_given = list(values.get("support_given") or [])
    person.safety = values.get("safety")
    person.last_contact_noted = values.get("last_contact")
    person.rhythm_days = values.get("rhythm_days") or 0


def _save(person: Person) -> None:
    person.full_clean()
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Two tabs adding the same name at once: the constraint is the last word.
        raise ValidationError(
            {"alias": "You already have someone with that name on your map."}
        ) from None
    _refresh(person)


@transaction.atomic
def person_create(*, user: Any, alias: str, **values: Any) -> Person:
    """Add someone to the member's map. Raises ValidationError naming the field: the alias
    (empty, too long, already used, case ignored), a date still to come, a value out of
    range."""
    alias = _clean_alias(alias)
    _check_alias(user, alias, exclude_pk=None)
    _check_not_future(user, values.get("last_contact"), "last_contact")
    if Person.objects.filter(user=user).count() >= MAX_PEOPLE:
        raise ValidationError(f"Your map can hold up to {MAX_PEOPLE} people.")
    person = Person(user=user, alias=alias, added_on=member_today(user))
    _apply(person, values)
    _save(person)
    return person


@transaction.atomic
def person_update(*, user: Any, person: Person, alias: str, **values: Any) -> Person:
    _own(user, person)
    alias = _clean_alias(alias)
    _check_alias(user, alias, exclude_pk=person.pk)
    _check_not_future(user, values.get("last_contact"), "last_contact")
    person.alias = alias
    _apply(person, values)
    _save(person)
    return person


@transaction.atomic
def person_move(*, user: Any, person: Person, direction: str) -> Person:
    """Move someone one circle closer or further. At the edge it raises ValidationError
    saying where they already are."""
    _own(user, person)
    if direction not in DIRECTIONS:
        raise ValidationError("Choose closer or further.")
    target = person.circle + DIRECTIONS[direction]
    if target not in Person.Circle.values:
        where = Person.Circle(person.circle).label.lower()
        raise ValidationError(f"{person.alias} is already in your {where}.")
    person.circle = target
    person.save(update_fields=["circle", "updated_at"])
    return person


@transaction.atomic
def person_delete(*, user: Any, person: Person) -> None:
    """Remove someone from the map with everything recorded about them: contacts and
    questionnaire answers about the relationship."""
    _own(user, person)
    person.delete()


@transaction.atomic
def contact_log(
    *,
    user: Any,
    person: Person,
    day: date | None = None,
    note: str = "",
    source: str = Contact.Source.MAP,
) -> ContactLogged:
    """Log that the member was in touch with someone on a day (default: their today).

    Idempotent per person and day: a second log changes nothing and says so (`created` is
    False), except that a note is added when the day had none. A new note is screened in
    the same transaction, like check-in notes.
    """
    _own(user, person)
    day = day or member_today(user)
    _check_not_future(user, day, "day")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(
            {"note": f"Please keep the note to {NOTE_MAX} characters (it has {len(note)})."}
        )
    Person.objects.select_for_update().filter(pk=person.pk).first()
    contact = Contact.objects.filter(person=person, day=day).first()
    created = contact is None
    if contact is None:
        try:
            with transaction.atomic():
                contact = Contact.objects.create(person=person, day=day, note=note, source=source)
        except IntegrityError:
            # A double tap raced this one and won: the day is logged either way.
            contact = Contact.objects.get(person=person, day=day)
            created = False
            note = ""
    elif note and not contact.note:
        contact.note = note
        contact.save(update_fields=["note"])
    else:
        note = ""  # nothing new was stored, so there is nothing new to screen
    outcome = SafetyOutcome(level="none")
    if note:
        outcome = text_screen(
            author=user, text=note, source_type="contact_note", source_id=contact.pk
        )
    if created:
        _refresh(person)
    return ContactLogged(contact=contact, created=created, outcome=outcome)


@transaction.atomic
def contact_delete(*, user: Any, contact: Contact) -> None:
    """Take back a logged contact (a wrong tap); the last contact date follows."""
    person = contact.person
    _own(user, person)
    contact.delete()
    _refresh(person)


@transaction.atomic
def checkin_connections_set(*, user: Any, checkin: Any, people: Iterable[Person]) -> None:
    """Make the check-in's "who did I connect with today" match `people`.

    Each chosen person gets a contact on the check-in's day, linked to the check-in (an
    existing contact that day is linked, not duplicated). A person no longer chosen is
    unlinked; their contact is removed only if the check-in itself created it and it has
    no note.
    """
    if checkin.user_id != user.pk:
        raise PermissionDenied
    chosen = {p.pk: p for p in people}
    for person in chosen.values():
        _own(user, person)
    touched: dict[int, Person] = {}
    existing = {
        c.person_id: c
        for c in Contact.objects.select_for_update()
        .filter(person__user=user, day=checkin.day)
        .select_related("person")
    }
    for person_id, contact in existing.items():
        if person_id in chosen:
            if contact.checkin_id != checkin.pk:
                contact.checkin = checkin
                contact.save(update_fields=["checkin"])
        elif contact.checkin_id == checkin.pk:
            if contact.source == Contact.Source.CHECKIN and not contact.note:
                contact.delete()
                touched[person_id] = contact.person
            else:
                contact.checkin = None
                contact.save(update_fields=["checkin"])
    for person_id, person in chosen.items():
        if person_id not in existing:
            Contact.objects.create(
                person=person, day=checkin.day, source=Contact.Source.CHECKIN, checkin=checkin
            )
            touched[person_id] = person
    for person in touched.values():
        _refresh(person)
