from django.conf import settings
from django.db import models

REFLECTION_MAX = 2000
STORY_MAX = 5000
GROUNDING_MAX = 300


class Enrolment(models.Model):
    """One run of a program by one member. Finishing, or leaving, ends a run; enrolling
    again starts a new one, and the old run's steps stay in the member's history."""

    class Status(models.TextChoices):
        ACTIVE = "active", "In progress"
        PAUSED = "paused", "Paused"
        FINISHED = "finished", "Finished"
        LEFT = "left", "Stopped"

    ONGOING = (Status.ACTIVE, Status.PAUSED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="program_enrolments"
    )
    # A folder name under programs/content; content is data, so this is not a foreign key.
    program = models.SlugField(max_length=80)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField(auto_now_add=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "program"],
                condition=models.Q(status__in=["active", "paused"]),
                name="programs_one_ongoing_run_per_program",
            )
        ]
        indexes = [models.Index(fields=["user", "program", "status"])]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.program} ({self.status})"

    @property
    def is_ongoing(self) -> bool:
        return self.status in self.ONGOING


class Step(models.Model):
    """A finished day of a run, with the member's reflection and any practice notes they
    chose to keep (their story and its retelling; their grounding answers)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="steps")
    day = models.PositiveSmallIntegerField()
    # The member's own calendar day, in their time zone, when they finished it.
    completed_on = models.DateField()
    completed_at = models.DateTimeField(auto_now_add=True)
    reflection = models.TextField(blank=True, max_length=REFLECTION_MAX)
    practice_notes = models.JSONField(default=dict, blank=True)
    # Shared with the circles where the member chose to share this program's progress.
    shared = models.BooleanField(default=False)

    class Meta:
        ordering = ["enrolment", "day"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "day"], name="programs_one_step_per_day"),
            # The program paces itself: one step per calendar day of the member's own.
            models.UniqueConstraint(
                fields=["enrolment", "completed_on"], name="programs_one_step_per_local_day"
            ),
        ]

    def __str__(self) -> str:
        return f"day {self.day} of enrolment {self.enrolment_id}"


class CircleProgram(models.Model):
    """A facilitator started a program for their circle; members may opt in to share."""

    circle = models.ForeignKey(
        "circles.Circle", on_delete=models.CASCADE, related_name="circle_programs"
    )
    program = models.SlugField(max_length=80)
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["circle", "program"], name="programs_once_per_circle")
        ]

    def __str__(self) -> str:
        return f"{self.program} in circle {self.circle_id}"


class ProgressShare(models.Model):
    """A member shares their progress in a program with one circle running it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="program_shares"
    )
    circle_program = models.ForeignKey(
        CircleProgram, on_delete=models.CASCADE, related_name="shares"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "circle_program"], name="programs_share_once_per_circle"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} shares in {self.circle_program_id}"


class ReflectionAck(models.Model):
    """ "I see you" on a reflection someone shared with the circle: one per person."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="program_acks"
    )
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="acks")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "step"], name="programs_one_ack_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} sees step {self.step_id}"
