"""Roles are auth groups with one permission each, so an operator assigns them in the admin."""

from typing import Any

ROLES: dict[str, str | None] = {
    "member": None,
    "facilitator": "accounts.act_as_facilitator",
    "clinician": "accounts.act_as_clinician",
    "moderator": "accounts.act_as_moderator",
}


def has_role(user: Any, role: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if role == "member":
        return True
    permission = ROLES[role]
    return bool(permission and user.has_perm(permission))


def roles_of(user: Any) -> list[str]:
    return [role for role in ROLES if has_role(user, role)]


def ensure_roles() -> None:
    """Create the role groups if missing (migrations create them; a flushed test database
    or a hand-edited admin may not have them)."""
    from django.contrib.auth.models import Group, Permission

    for role, permission in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        if permission:
            app_label, codename = permission.split(".")
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                group.permissions.add(perm)
