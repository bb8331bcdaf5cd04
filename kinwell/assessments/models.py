from django.conf import settings
from django.db import models


class AssessmentResponse(models.Model):
    """One member's answers to one instrument: a draft until submitted, then scored once.

    The score is stored as computed at submission (with the instrument version), so a later
    change to an instrument file never rewrites a member's history.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        COMPLETE = "complete", "Complete"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessment_responses"
    )
    instrument = models.CharField(max_length=20)
    instrument_version = models.CharField(max_length=20)
    # For instruments about one relationship (ECR-RS): the person on the member's map it is
    # about. Removing the person from the map removes these answers too.
    person = models.ForeignKey(
        "network.Person",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assessment_responses",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    answers = models.JSONField(default=dict)
    total = models.FloatField(null=True, blank=True)
    subscales = models.JSONField(default=dict)
    band = models.CharField(max_length=40, blank=True)
    flags = models.JSONField(default=list)
    details = models.JSONField(default=dict)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-completed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "instrument"],
                condition=models.Q(status="draft"),
                name="one_draft_per_instrument",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.status} of {self.user_id}"


class RetakeSchedule(models.Model):
    """A member's own rhythm for re-taking an instrument; due ones show on the home page."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="retake_schedules"
    )
    instrument = models.CharField(max_length=20)
    every_days = models.PositiveSmallIntegerField()
    # Kept up to date on every submission, so the home page asks one indexed question.
    due_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "instrument"], name="one_schedule_per_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} every {self.every_days} days"
