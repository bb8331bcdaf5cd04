from typing import Any

from django.contrib.admin.models import LogEntry
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinwell.accounts.models import ConsentRecord, MemberSession, User
from kinwell.core.privacy import DataCategory, register


def _token_hidden(row: dict[str, Any]) -> dict[str, Any]:
    # A recovery code in a downloaded file would let anyone who finds the file sign in.
    return {**row, "token": "(hidden)"}


register(
    DataCategory(
        key="accounts.profile",
        model=User,
        owner="pk",
        title="Your account and profile",
        purpose="To sign you in, reach you for password resets, and show your display name.",
        visible_to="Other members see only your display name and pronouns.",
        exclude=("password",),
    )
)
register(
    DataCategory(
        key="accounts.consents",
        model=ConsentRecord,
        owner="user",
        title="Your consent choices",
        purpose="A record of what you agreed to, which version, and when.",
        visible_to="Only you, and administrators if there is a dispute.",
    )
)
register(
    DataCategory(
        key="accounts.sessions",
        model=MemberSession,
        owner="user",
        title="Signed-in sessions",
        purpose="So your sessions end when you delete your account.",
        visible_to="Only you.",
        exclude=("session_key",),
    )
)
register(
    DataCategory(
        key="accounts.authenticator",
        model=TOTPDevice,
        owner="user",
        title="Authenticator app for two-step sign-in",
        purpose="To check the codes from your authenticator app.",
        visible_to="Nobody; the secret never leaves the server.",
        fields=("id", "name", "confirmed", "created_at", "last_used_at"),
    )
)
register(
    DataCategory(
        key="accounts.recovery_devices",
        model=StaticDevice,
        owner="user",
        title="Recovery code set",
        purpose="To let you in if you lose your phone.",
        visible_to="Nobody.",
        fields=("id", "name", "confirmed", "created_at"),
    )
)
register(
    DataCategory(
        key="accounts.recovery_codes",
        model=StaticToken,
        owner="device__user",
        title="Unused recovery codes",
        purpose="Each code works once.",
        visible_to="Nobody; shown to you once when created.",
        transform=_token_hidden,
    )
)
register(
    DataCategory(
        key="accounts.admin_actions",
        model=LogEntry,
        owner="user",
        title="Changes you made in the admin (staff only)",
        purpose="Django's record of administrative edits.",
        visible_to="Administrators.",
    )
)
