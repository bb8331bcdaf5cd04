"""The relationship map: the people in a member's life, under aliases only the member sees.

Circles of closeness follow the convoy model (Kahn & Antonucci, 1980): an inner circle of
people it is hard to imagine life without, a middle circle, and an outer circle.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

ALIAS_MAX = 60
NOTE_MAX = 500

# Kinds of support, received and given: (value, label, short description). The order is
# also the order of importance used to pick a person's "main" support on the picture.
SUPPORT = [
    ("emotional", "Emotional", "comfort, listening, caring how you are"),
    ("practical", "Practical", "help with tasks, lifts, meals, money"),
    ("informational", "Information", "advice, ideas, knowing where to look"),
    ("companionship", "Company", "time together, fun, not being alone"),
]
SUPPORT_KEYS = [key for key, _label, _about in SUPPORT]
SUPPORT_LABELS = {key: label for key, label, _about in SUPPORT}

# How safe the member feels with this person, 0-4, with anchors we wrote.
SAFETY_ANCHORS = ["Not safe", "On guard", "Mixed", "Mostly safe", "Safe to be myself"]

# A desired contact rhythm, stored as days; 0 means no reminders.
RHYTHMS = [
    (0, "No reminders"),
    (7, "Every week"),
    (14, "Every two weeks"),
    (30, "Every month"),
    (90, "Every few months"),
]


def validate_support(value: Any) -> None:
    if not isinstance(value, list) or any(v not in SUPPORT_KEYS for v in value):
        raise ValidationError("Choose from emotional, practical, information and company.")
    if len(set(value)) != len(value):
        raise ValidationError("Each kind of support can be chosen once.")


class Person(models.Model):
    class Kind(models.TextChoices):
        FAMILY = "family", "Family"
        PARTNER = "partner", "Partner"
        FRIEND = "friend", "Friend"
        COLLEAGUE = "colleague", "Colleague"
        THERAPIST = "therapist", "Therapist or counsellor"
        GROUP = "group", "A group"
        OTHER = "other", "Someone else"

    class Circle(models.IntegerChoices):
        INNER = 1, "Inner circle"
        MIDDLE = 2, "Middle circle"
        OUTER = 3, "Outer circle"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="map_people"
    )
    alias = models.CharField(max_length=ALIAS_MAX)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    circle = models.PositiveSmallIntegerField(choices=Circle.choices, default=Circle.MIDDLE)
    support_received = models.JSONField(default=list, blank=True, validators=[validate_support])
    support_given = models.JSONField(default=list, blank=True, validators=[validate_support])
    safety = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(4)]
    )
    # What the member told us ("last saw them in March"), kept apart from logged contacts so
    # removing a logged contact never loses it.
    last_contact_noted = models.DateField(null=True, blank=True)
    # The later of the noted date and the latest logged contact (kept up to date by services).
    last_contact = models.DateField(null=True, blank=True)
    rhythm_days = models.PositiveSmallIntegerField(choices=RHYTHMS, default=0)
    # last_contact (or the day they were added) + rhythm; NULL when there is no rhythm. Kept
    # up to date on every write, so the home page asks one indexed question.
    contact_due_on = models.DateField(null=True, blank=True)
    # The member's own calendar day when the person was added.
    added_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["circle", "alias"]
        constraints = [
            models.UniqueConstraint(
                models.F("user"),
                Lower("alias"),
                name="network_alias_unique_per_member",
                violation_error_message="You already have someone with that name on your map.",
            )
        ]
        indexes = [models.Index(fields=["user", "contact_due_on"], name="network_due_idx")]

    def __str__(self) -> str:
        return f"person {self.pk} of {self.user_id}"

    @property
    def main_support(self) -> str | None:
        return next((k for k in SUPPORT_KEYS if k in (self.support_received or [])), None)

    @property
    def safety_label(self) -> str:
        return SAFETY_ANCHORS[self.safety] if self.safety is not None else ""

    @property
    def support_received_labels(self) -> list[str]:
        return [SUPPORT_LABELS[k] for k in SUPPORT_KEYS if k in (self.support_received or [])]

    @property
    def support_given_labels(self) -> list[str]:
        return [SUPPORT_LABELS[k] for k in SUPPORT_KEYS if k in (self.support_given or [])]


class Contact(models.Model):
    """One day the member was in touch with a person on their map."""

    class Source(models.TextChoices):
        MAP = "map", "Logged on the map"
        HOME = "home", "Logged from a reminder"
        CHECKIN = "checkin", "Logged with a check-in"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contacts")
    # The member's own calendar day.
    day = models.DateField()
    note = models.TextField(blank=True, max_length=NOTE_MAX)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MAP)
    # Set when the contact was named in that day's check-in, so the check-in history can
    # show who the member connected with. The contact stays if the check-in goes.
    checkin = models.ForeignKey(
        "checkins.CheckIn",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "day"], name="network_one_contact_per_person_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"contact {self.day} with person {self.person_id}"
