"""Every write to accounts goes through here (see ARCHITECTURE.md, "One write path")."""

import secrets
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinwell.accounts.consent import current_version
from kinwell.accounts.models import ConsentRecord, MemberSession, User
from kinwell.core.services import audit_record, notification_send

RECOVERY_CODE_COUNT = 10


def display_name_taken(name: str, *, exclude_pk: int | None = None) -> bool:
    qs = User.objects.filter(display_name__iexact=name.strip())
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def email_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()


@transaction.atomic
def user_sign_up(
    *,
    display_name: str,
    email: str,
    password: str,
    adult_confirmed: bool,
    research_consent: bool = False,
    country: str = "",
    time_zone: str = "UTC",
    pronouns: str = "",
) -> User:
    """Create a member who has confirmed they are 18+ and accepted terms and privacy.

    Raises ValidationError with per-field messages; nothing is written on error.
    """
    errors: dict[str, list[str]] = {}
    if not adult_confirmed:
        errors["adult"] = ["Kinwell is for adults: please confirm you are 18 or older."]
    if display_name_taken(display_name):
        errors["display_name"] = ["That display name is taken. Try another one."]
    if email_taken(email):
        errors["email"] = ["An account with this email already exists. Try signing in."]
    candidate = User(email=email.strip().lower(), display_name=display_name.strip())
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        errors["password1"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user = User.objects.create_user(
        email=email,
        password=password,
        display_name=display_name.strip(),
        adult_confirmed_at=timezone.now(),
        country=country,
        time_zone=time_zone or "UTC",
        pronouns=pronouns.strip(),
    )
    user.groups.add(Group.objects.get_or_create(name="member")[0])
    for purpose in ("terms", "privacy"):
        ConsentRecord.objects.create(
            user=user, purpose=purpose, version=current_version(purpose), granted=True
        )
    ConsentRecord.objects.create(
        user=user,
        purpose="research",
        version=current_version("research"),
        granted=research_consent,
    )
    return user


def user_signed_in(*, request: HttpRequest, user: User) -> None:
    """Remember the session so it can be ended when the member deletes their account."""
    key = request.session.session_key
    if not key:
        request.session.save()
        key = request.session.session_key
    if key:
        MemberSession.objects.update_or_create(
            session_key=key,
            defaults={"user": user, "user_agent": request.headers.get("user-agent", "")[:200]},
        )


@transaction.atomic
def user_update_profile(*, actor: User, user: User, **fields: Any) -> User:
    if actor.pk != user.pk:
        raise PermissionError("Members can only change their own profile.")
    name = fields.get("display_name", user.display_name).strip()
    if display_name_taken(name, exclude_pk=user.pk):
        raise ValidationError({"display_name": ["That display name is taken. Try another one."]})
    for key in ("display_name", "pronouns", "time_zone", "language", "country"):
        if key in fields:
            setattr(user, key, fields[key].strip() if isinstance(fields[key], str) else fields[key])
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def consent_set(*, user: User, purpose: str, granted: bool) -> ConsentRecord:
    """Record a new choice; required purposes can only be withdrawn by deleting the account."""
    if purpose not in ConsentRecord.Purpose.values:
        raise ValidationError(f"Unknown consent purpose {purpose!r}.")
    if purpose in ("terms", "privacy") and not granted:
        raise ValidationError(
            "Terms and privacy are needed to use Kinwell. To withdraw them, delete your account."
        )
    return ConsentRecord.objects.create(
        user=user, purpose=purpose, version=current_version(purpose), granted=granted
    )


def consents_current(*, user: User) -> dict[str, ConsentRecord | None]:
    current: dict[str, ConsentRecord | None] = dict.fromkeys(ConsentRecord.Purpose.values)
    for record in ConsentRecord.objects.filter(user=user).order_by("recorded_at", "id"):
        current[record.purpose] = record
    return current


# --- Two-step sign-in -----------------------------------------------------------------


def totp_begin(*, user: User) -> TOTPDevice:
    """Start enrolment: a fresh unconfirmed device; earlier unfinished ones are dropped."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def totp_pending(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def security_event(*, user: User, what: str, title: str = "", body: str = "") -> None:
    """Record a change to how this account signs in (password, two-step sign-in, recovery
    codes) in the member's access log, and tell them when `title` is given: a change they
    did not make is then visible to them on the privacy page and in their notifications."""
    audit_record(actor=None, subject=user, action="security", target=what)
    if title:
        notification_send(user=user, title=title, body=body, url="/account/security/")


def two_factor_enabled(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def totp_confirm(*, user: User, token: str) -> list[str]:
    """Confirm enrolment with a code from the app; returns fresh recovery codes.

    Raises ValidationError when the code does not match (clock drift of one step is allowed).
    """
    device = totp_pending(user=user)
    if device is None:
        raise ValidationError("Start again: the setup code has expired.")
    if not _clean_token(token) or not device.verify_token(_clean_token(token)):
        raise ValidationError(
            "That code did not match. Check the time on your phone and try the newest code."
        )
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save()
    codes = recovery_codes_regenerate(user=user)
    security_event(
        user=user,
        what="two-step sign-in turned on",
        title="Two-step sign-in is on",
        body="Signing in now asks for a code from your authenticator app.",
    )
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def two_factor_disable(*, user: User, password: str) -> None:
    if not user.check_password(password):
        raise ValidationError({"password": ["That password is not right."]})
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    security_event(
        user=user,
        what="two-step sign-in turned off",
        title="Two-step sign-in is off",
        body="If you did not do this, change your password now.",
    )


def two_factor_verify(*, user: User, token: str) -> bool:
    """Accept a code from the app or an unused recovery code (which is then used up).

    django-otp throttles repeated failures per device, so guessing slows down quickly.
    """
    token = _clean_token(token)
    if not token:
        return False
    # Route by shape, so a recovery code does not count as a failed app code (and the
    # other way round): each failure slows the next attempt on that device.
    if token.isdigit() and len(token) == 6:
        devices: list[Any] = list(TOTPDevice.objects.filter(user=user, confirmed=True))
        return any(device.verify_token(token) for device in devices)
    devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
    if not any(device.verify_token(token) for device in devices):
        return False
    left = recovery_codes_left(user=user)
    security_event(
        user=user,
        what="signed in with a recovery code",
        title="You signed in with a recovery code",
        body=f"{left} recovery code{'s' if left != 1 else ''} left. If this was not you, "
        "change your password and make new recovery codes now.",
    )
    return True


def two_factor_wait_seconds(*, user: User) -> int:
    """Seconds until the app-code device accepts another try (0 when it does now)."""
    wait = 0
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        allowed, info = device.verify_is_allowed()
        if not allowed and info and info.get("locked_until"):
            remaining = (info["locked_until"] - timezone.now()).total_seconds()
            wait = max(wait, int(remaining) + 1)
    return wait


def _clean_token(token: str) -> str:
    return "".join(token.split()).replace("-", "").lower()[:16]


def _recovery_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


# --- Leaving --------------------------------------------------------------------------


@transaction.atomic
def user_delete(*, user: User, password: str) -> None:
    """Hard-delete the member and every row that belongs to them.

    Rows linked by foreign key go by CASCADE (tests walk every model to prove it);
    rows that only hold the email (login throttling) and the session rows are removed
    here explicitly.
    """
    if not user.check_password(password):
        raise ValidationError({"password": ["That password is not right."]})
    keys = list(MemberSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__iexact=user.email).delete()
    user.delete()
