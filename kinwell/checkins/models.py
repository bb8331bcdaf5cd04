from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

SCALE = [MinValueValidator(0), MaxValueValidator(4)]

# The five S's of secure attachment, each rated 0-4 with anchors we wrote.
FIVE_S = [
    (
        "seen",
        "Seen",
        "Did someone notice and understand you today?",
        ["Not at all", "A little", "Somewhat", "Mostly", "Fully"],
    ),
    (
        "safe",
        "Safe",
        "How safe did you feel, in your body and around others?",
        ["Not safe", "Uneasy", "Okay", "Mostly safe", "Safe"],
    ),
    (
        "soothed",
        "Soothed",
        "When things hurt, could you find comfort?",
        ["No comfort", "A little", "Some", "Quite a bit", "Well comforted"],
    ),
    (
        "secure",
        "Secure",
        "How steady did your relationships feel?",
        ["Shaky", "Unsure", "Okay", "Steady", "Very steady"],
    ),
    (
        "stable",
        "Stable",
        "How settled did your day feel?",
        ["Chaotic", "Rocky", "Mixed", "Settled", "Calm"],
    ),
]


class CheckIn(models.Model):
    class Window(models.TextChoices):
        BELOW = "below", "Below my window: numb, flat, shut down"
        INSIDE = "inside", "Inside my window: present, able to cope"
        ABOVE = "above", "Above my window: on edge, flooded, racing"

    class Mood(models.IntegerChoices):
        VERY_LOW = 1, "Very low"
        LOW = 2, "Low"
        OKAY = 3, "Okay"
        GOOD = 4, "Good"
        VERY_GOOD = 5, "Very good"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkins"
    )
    # The member's own calendar day, in their time zone at the moment of checking in.
    day = models.DateField()
    seen = models.PositiveSmallIntegerField(validators=SCALE)
    safe = models.PositiveSmallIntegerField(validators=SCALE)
    soothed = models.PositiveSmallIntegerField(validators=SCALE)
    secure = models.PositiveSmallIntegerField(validators=SCALE)
    stable = models.PositiveSmallIntegerField(validators=SCALE)
    window = models.CharField(max_length=10, choices=Window.choices)
    mood = models.PositiveSmallIntegerField(choices=Mood.choices)
    note = models.TextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_checkin_per_day")]

    def __str__(self) -> str:
        return f"check-in {self.day} of {self.user_id}"


class Reminder(models.Model):
    """A gentle daily nudge to check in, at a time the member chose, in their own zone."""

    class Channel(models.TextChoices):
        IN_APP = "in_app", "In Kinwell (a notification)"
        EMAIL = "email", "By email"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkin_reminder"
    )
    enabled = models.BooleanField(default=True)
    at = models.TimeField(help_text="Local time of day.")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.IN_APP)
    # The member's local date of the last reminder, so one day never gets two.
    last_sent_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"reminder for {self.user_id} at {self.at}"
