from django.conf import settings
from django.db import models

POST_MAX = 5000
CHAT_MAX = 2000
CIRCLE_MIN = 5
CIRCLE_MAX = 8


class Stage(models.TextChoices):
    EARLY = "early", "Just starting out"
    MIDDLE = "middle", "Finding my feet"
    STEADY = "steady", "Steady for a while"


class Circle(models.Model):
    name = models.CharField(max_length=60)
    focus = models.CharField(max_length=40, db_index=True)
    language = models.CharField(max_length=8)
    # Weekly meeting slot in UTC, "mon 19:00"; shown to each member in their own time.
    slot = models.CharField(max_length=12)
    is_open = models.BooleanField(default=True, help_text="Accepting new members from matching.")
    coach_default = models.BooleanField(
        default=False, help_text="The empathy coach is on by default for this circle's replies."
    )
    # After this many hours with no reply or acknowledgement, the writer's partner and the
    # facilitator are told, so no one is left unseen.
    unseen_hours = models.PositiveSmallIntegerField(default=24)
    # Secret part of the subscribable calendar feed URL; rotating it revokes old links.
    feed_token = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Agreement(models.Model):
    """A version of a circle's agreements; members accept the newest before taking part."""

    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="agreements")
    version = models.PositiveIntegerField()
    text = models.TextField(max_length=10000)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["circle", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["circle", "version"], name="one_agreement_version")
        ]

    def __str__(self) -> str:
        return f"{self.circle_id} v{self.version}"


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        FACILITATOR = "facilitator", "Facilitator"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        LEFT = "left", "Left"
        REMOVED = "removed", "Removed"

    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="circle_memberships"
    )
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    stage = models.CharField(max_length=8, choices=Stage.choices, blank=True)
    agreed_version = models.PositiveIntegerField(default=0)
    # A facilitator can pause someone's posting in this circle, with a reason they see.
    muted_until = models.DateTimeField(null=True, blank=True)
    mute_reason = models.CharField(max_length=400, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["circle", "joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["circle", "user"], name="one_membership_per_circle")
        ]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.circle_id} ({self.status})"


class JoinRequest(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for a circle"
        PLACED = "placed", "Placed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests"
    )
    focus = models.CharField(max_length=40)
    language = models.CharField(max_length=8)
    utc_offset = models.FloatField()
    slots = models.JSONField(default=list)
    stage = models.CharField(max_length=8, choices=Stage.choices)
    # People the member never wants to share a circle with; blocks are added at match time.
    exclude = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="excluded_by_requests"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    circle = models.ForeignKey(
        Circle, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    placed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "focus", "language"])]

    def __str__(self) -> str:
        return f"request {self.pk} ({self.status})"


class Visibility(models.TextChoices):
    VISIBLE = "visible", "Visible"
    # Urgent words wait for the writer to choose whether the circle sees them.
    HELD = "held", "Waiting for the writer"
    PRIVATE = "private", "Kept private by the writer"
    REMOVED = "removed", "Removed by a moderator"


class Post(models.Model):
    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="circle_posts"
    )
    # A reply keeps its place when the post it answered is deleted with its author's account.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    is_reply = models.BooleanField(default=False)
    body = models.TextField(max_length=POST_MAX)
    pinned = models.BooleanField(default=False)
    unseen_notified_at = models.DateTimeField(null=True, blank=True)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.VISIBLE
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["circle", "is_reply", "visibility", "-created_at"])]

    def __str__(self) -> str:
        return f"post {self.pk}"


class ChatMessage(models.Model):
    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="circle_messages"
    )
    body = models.TextField(max_length=CHAT_MAX)
    # Lets a client resend after a dropped connection without the message appearing twice.
    client_id = models.CharField(max_length=40, blank=True)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.VISIBLE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["circle", "-id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_id"],
                condition=~models.Q(client_id=""),
                name="chat_client_id_once",
            )
        ]

    def __str__(self) -> str:
        return f"message {self.pk}"


class CheckInShare(models.Model):
    """A member chose to show one day's check-in to one of their circles; revocable."""

    checkin = models.ForeignKey(
        "checkins.CheckIn", on_delete=models.CASCADE, related_name="circle_shares"
    )
    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="checkin_shares")
    include_note = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["checkin", "circle"], name="share_checkin_once")
        ]

    def __str__(self) -> str:
        return f"check-in {self.checkin_id} to circle {self.circle_id}"


class CircleConnection(models.Model):
    """ "Who did I connect with today": the member noted time with their circle that day."""

    checkin = models.ForeignKey(
        "checkins.CheckIn", on_delete=models.CASCADE, related_name="circle_connections"
    )
    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["checkin", "circle"], name="connect_circle_once")
        ]

    def __str__(self) -> str:
        return f"check-in {self.checkin_id} with circle {self.circle_id}"


class Acknowledgement(models.Model):
    """ "I see you": a member lets another know their words landed."""

    class Response(models.TextChoices):
        SEE = "see", "I see you"
        WITH = "with", "I'm with you"
        TOO = "too", "Me too"
        THANKS = "thanks", "Thank you"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="circle_acks"
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="acks"
    )
    message = models.ForeignKey(
        ChatMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="acks"
    )
    share = models.ForeignKey(
        CheckInShare, null=True, blank=True, on_delete=models.CASCADE, related_name="acks"
    )
    response = models.CharField(max_length=8, choices=Response.choices, default=Response.SEE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "post"],
                condition=models.Q(post__isnull=False),
                name="ack_post_once",
            ),
            models.UniqueConstraint(
                fields=["user", "message"],
                condition=models.Q(message__isnull=False),
                name="ack_message_once",
            ),
            models.UniqueConstraint(
                fields=["user", "share"],
                condition=models.Q(share__isnull=False),
                name="ack_share_once",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(post__isnull=False, message__isnull=True, share__isnull=True)
                    | models.Q(post__isnull=True, message__isnull=False, share__isnull=True)
                    | models.Q(post__isnull=True, message__isnull=True, share__isnull=False)
                ),
                name="ack_exactly_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"ack {self.pk}"


class Meeting(models.Model):
    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="meetings")
    starts_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField(default=60)
    title = models.CharField(max_length=120)
    # A video link or a place; shown only to the circle.
    where = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d %H:%M})"


class Partnership(models.Model):
    """Accountability partners: two members of a circle, by consent of both."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Asked"
        ACTIVE = "active", "Partners"
        DECLINED = "declined", "Declined"
        ENDED = "ended", "Ended"

    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="partnerships")
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partnerships_asked"
    )
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partnerships_received"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    quiet_days = models.PositiveSmallIntegerField(default=4)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # When each side was last nudged that the other went quiet, so nudges do not repeat.
    asker_nudged_at = models.DateTimeField(null=True, blank=True)
    partner_nudged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(asker=models.F("partner")), name="no_self_partner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.asker_id} & {self.partner_id} ({self.status})"

    def other(self, user_id: int) -> int:
        return self.partner_id if user_id == self.asker_id else self.asker_id
