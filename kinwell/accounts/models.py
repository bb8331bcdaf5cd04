import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("pt", "Português"),
    ("nl", "Nederlands"),
    ("it", "Italiano"),
]


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> "User":
        # Emails are stored lower-cased; people type them any way they like.
        return self.get(email__iexact=(username or "").strip())

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("display_name", email.split("@")[0][:40])
        extra.setdefault("adult_confirmed_at", timezone.now())
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person using Kinwell under a pseudonymous display name.

    The email is for sign-in and recovery only and is never shown to other members.
    """

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=40)
    pronouns = models.CharField(max_length=40, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(max_length=8, choices=LANGUAGES, default="en")
    country = models.CharField(max_length=2, blank=True)
    adult_confirmed_at = models.DateTimeField()
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Bumped whenever something the member's home page shows changes, so a rendered copy
    # can be reused until then (kinwell/core/homecache.py).
    data_version = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("display_name"),
                name="user_display_name_ci_unique",
                violation_error_message="That display name is taken.",
            ),
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_ci_unique",
                violation_error_message="An account with this email already exists.",
            ),
        ]
        permissions = [
            ("act_as_facilitator", "Can facilitate peer circles"),
            ("act_as_clinician", "Can see consenting clients' measures"),
            ("act_as_moderator", "Can moderate and work the crisis queue"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name


class ConsentRecord(models.Model):
    """One decision by a member about one purpose, with the text version they saw.

    Rows are only ever added: the latest row per purpose is the member's current choice,
    and the history shows what they agreed to and when.
    """

    class Purpose(models.TextChoices):
        TERMS = "terms", "Terms of use"
        PRIVACY = "privacy", "Privacy notice"
        RESEARCH = "research", "Anonymous research use"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    version = models.CharField(max_length=20)
    granted = models.BooleanField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["user", "purpose", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} {self.version} {'yes' if self.granted else 'no'}"


class MemberSession(models.Model):
    """Links a signed-in session to its member, so that deleting an account or
    signing out everywhere can remove every session row that belongs to them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    user_agent = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"session of {self.user_id}"
