from django.conf import settings
from django.db import models


class SafetyPlan(models.Model):
    """A member's own crisis plan, after the Stanley-Brown six steps plus reasons for living.

    Private to the member; `share_with_clinician` is their explicit, revocable choice.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="safety_plan"
    )
    warning_signs = models.TextField(blank=True)
    coping_steps = models.TextField(blank=True)
    distractions = models.TextField(blank=True)
    people_to_ask = models.TextField(blank=True)
    professionals = models.TextField(blank=True)
    safer_surroundings = models.TextField(blank=True)
    reasons_for_living = models.TextField(blank=True)
    share_with_clinician = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"safety plan of {self.user_id}"

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name, _ in PLAN_STEPS)


PLAN_STEPS = [
    ("warning_signs", "My warning signs"),
    ("coping_steps", "Things I can do on my own to feel calmer"),
    ("distractions", "People and places that take my mind off things"),
    ("people_to_ask", "People I can ask for help"),
    ("professionals", "Professionals and crisis lines I can contact"),
    ("safer_surroundings", "Making my surroundings safer"),
    ("reasons_for_living", "My reasons for living"),
]


class Escalation(models.Model):
    """Screening found concern or urgency in a member's text; a human should look.

    The text is kept here (capped) so the queue works for every source, including ones
    the member later edits. Viewing it through the queue is audited.
    """

    class Level(models.TextChoices):
        CONCERN = "concern", "Concern"
        URGENT = "urgent", "Urgent"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="escalations"
    )
    source_type = models.CharField(max_length=40)
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    # "circle:12" when the text was written in a shared space; empty when private.
    space = models.CharField(max_length=60, blank=True, db_index=True)
    level = models.CharField(max_length=10, choices=Level.choices)
    reasons = models.JSONField(default=list)
    text = models.TextField()
    posted = models.BooleanField(default=False)
    state = models.CharField(max_length=14, choices=State.choices, default=State.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalations_owned",
    )
    opened_at = models.DateTimeField(auto_now_add=True, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["state", "level", "-opened_at"])]

    def __str__(self) -> str:
        return f"{self.level} escalation {self.pk}"


class EscalationNote(models.Model):
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=40)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note on {self.escalation_id}"


class Block(models.Model):
    """`blocker` never sees `blocked` and the other way round; matching keeps them apart."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(
                condition=~models.Q(blocker=models.F("blocked")), name="block_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class Mute(models.Model):
    """`muter` stops seeing `muted`'s posts; `muted` is not told and sees no change."""

    muter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes_made"
    )
    muted = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes_received"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["muter", "muted"], name="mute_once"),
            models.CheckConstraint(
                condition=~models.Q(muter=models.F("muted")), name="mute_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.muter_id} mutes {self.muted_id}"


class Report(models.Model):
    """A member flags a post, a message or another member for moderators."""

    class Reason(models.TextChoices):
        HARASSMENT = "harassment", "Harassment or bullying"
        HATE = "hate", "Hate or discrimination"
        PRIVACY = "privacy", "Sharing someone's private information"
        CONTACT = "contact", "Pressure to meet or share contact details off Kinwell"
        SPAM = "spam", "Spam or selling"
        SAFETY = "safety", "I'm worried about this person's safety"
        OTHER = "other", "Something else"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        DECIDED = "decided", "Decided"

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made"
    )
    reported = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_received"
    )
    target_type = models.CharField(max_length=30)
    target_id = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    details = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"report {self.pk} on {self.target_type}:{self.target_id}"


class ModerationDecision(models.Model):
    """What a moderator decided about a report; the member sees the reason and may appeal once."""

    class Action(models.TextChoices):
        NO_ACTION = "no_action", "No action needed"
        CONTENT_REMOVED = "content_removed", "Content removed"
        WARNING = "warning", "Warning"
        POSTING_PAUSED = "posting_paused", "Posting paused"

    class Rule(models.TextChoices):
        HARASSMENT = "harassment", "No harassment or bullying"
        HATE = "hate", "No hate or discrimination"
        PRIVACY = "privacy", "Keep what others share private"
        CONTACT = "contact", "No pressure to meet or share contacts off Kinwell"
        SPAM = "spam", "No spam or selling"
        NONE = "none", "No rule broken"

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="decision")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderation_decisions"
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    rule = models.CharField(max_length=20, choices=Rule.choices)
    reason = models.TextField()
    paused_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} on report {self.report_id}"


class Appeal(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Waiting for review"
        UPHELD = "upheld", "Decision stands"
        OVERTURNED = "overturned", "Decision reversed"

    decision = models.OneToOneField(
        ModerationDecision, on_delete=models.CASCADE, related_name="appeal"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appeals"
    )
    text = models.TextField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"appeal of {self.decision_id}"
