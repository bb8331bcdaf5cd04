"""Download-my-data and delete-my-account, proven over every model in the project.

The walks below use the app registry, so a model added by a later app is covered the
moment it exists: it must be declared in the privacy registry, exported, and gone
after deletion, or these tests fail.
"""

import json

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse
from django_otp.oath import totp

from kinwell.accounts import services
from kinwell.accounts.models import MemberSession
from kinwell.accounts.tests.factories import PASSWORD, UserFactory
from kinwell.core import privacy
from kinwell.core.models import AuditEvent
from kinwell.core.services import audit_record, notification_send

pytestmark = pytest.mark.django_db
User = get_user_model()

# Models that relate to a member but are not the member's personal data.
NOT_PERSONAL = {
    "auth.Group": "roles are shared definitions, not a member's data",
    "auth.Permission": "shared definitions",
}


def _relations_to(target: type[models.Model]):
    for model in apps.get_models(include_auto_created=False):
        for field in model._meta.get_fields():
            if (
                isinstance(field, (models.ForeignKey, models.OneToOneField))
                and field.related_model is target
            ):
                yield model, field


def _owned_models() -> set[type[models.Model]]:
    """The member, plus every model reachable from them through foreign keys."""
    owned: set[type[models.Model]] = {User}
    frontier: list[type[models.Model]] = [User]
    while frontier:
        target = frontier.pop()
        for model, _field in _relations_to(target):
            if model not in owned and model._meta.label not in NOT_PERSONAL:
                owned.add(model)
                frontier.append(model)
    return owned


def test_every_model_linked_to_a_member_is_in_the_privacy_registry():
    missing = sorted(m._meta.label for m in _owned_models() - privacy.registered_models())
    assert not missing, f"declare these in a personal_data.py privacy registry: {missing}"


def test_owner_relations_cascade_unless_declared_kept():
    for category in privacy.categories():
        if category.owner == "pk":
            continue
        first = category.owner.split("__")[0]
        field = category.model._meta.get_field(first)
        if category.kept_on_delete:
            assert field.remote_field.on_delete is models.SET_NULL, category.key
        else:
            assert field.remote_field.on_delete is models.CASCADE, (
                f"{category.key}: rows must go with their member"
            )


@pytest.fixture
def busy_member():
    """A member with rows in every kind of data the project keeps today."""
    member = UserFactory()
    staff = UserFactory(roles=["moderator"])
    device = services.totp_begin(user=member)
    services.totp_confirm(user=member, token=f"{totp(device.bin_key):06d}")
    services.consent_set(user=member, purpose="research", granted=True)
    notification_send(user=member, title="hello")
    MemberSession.objects.create(user=member, session_key="k" * 32)
    audit_record(actor=staff, subject=member, action="viewed", target="profile")
    audit_record(actor=member, subject=staff, action="viewed", target="profile")
    return member


def test_export_contains_every_category_with_the_member_rows(client, busy_member):
    client.force_login(busy_member)
    response = client.get(reverse("accounts:export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["schema"] == "kinwell-export/1"
    assert data["member_id"] == busy_member.pk
    exported = set(data["categories"])
    expected = {c.key for c in privacy.categories() if not c.kept_on_delete}
    assert exported == expected
    profile = data["categories"]["accounts.profile"]["rows"]
    assert profile[0]["email"] == busy_member.email
    assert "password" not in profile[0]
    assert len(data["categories"]["accounts.recovery_codes"]["rows"]) == 10
    assert all(
        r["token"] == "(hidden)" for r in data["categories"]["accounts.recovery_codes"]["rows"]
    )
    assert all("key" not in r for r in data["categories"]["accounts.authenticator"]["rows"])
    # The staff member's look, and turning on two-step sign-in (a security change); the
    # member's own look at the staff member's profile is the staff member's row, not theirs.
    rows = data["categories"]["core.access_log"]["rows"]
    assert sorted(r["action"] for r in rows) == ["security", "viewed"]


def test_export_holds_nobody_elses_rows(client, busy_member):
    other = UserFactory()
    notification_send(user=other, title="other's secret")
    client.force_login(busy_member)
    body = client.get(reverse("accounts:export")).content.decode()
    assert "other's secret" not in body
    assert other.email not in body


def test_export_needs_sign_in(client):
    response = client.get(reverse("accounts:export"))
    assert response.status_code == 302


def test_delete_needs_the_password(client, busy_member):
    client.force_login(busy_member)
    response = client.post(reverse("accounts:delete"), {"password": "not it"})
    assert response.status_code == 200
    assert "not right" in " ".join(response.context["form"].errors["password"])
    assert User.objects.filter(pk=busy_member.pk).exists()


def test_delete_removes_every_row_that_points_to_the_member(client, busy_member):
    member_id = busy_member.pk
    email = busy_member.email
    client.force_login(busy_member)
    client.post(reverse("accounts:sign_in"), {"username": email, "password": "wrong"})
    response = client.post(reverse("accounts:delete"), {"password": PASSWORD})
    assert response.url == reverse("accounts:deleted")

    assert not User.objects.filter(pk=member_id).exists()
    leftovers = []
    for model, field in _relations_to(User):
        if model._default_manager.filter(**{field.attname: member_id}).exists():
            leftovers.append(f"{model._meta.label}.{field.name}")
    for category in privacy.categories():
        if (
            category.owner != "pk"
            and category.model._default_manager.filter(
                **{f"{category.owner}__pk": member_id}
            ).exists()
        ):
            leftovers.append(category.key)
    assert not leftovers, f"rows still point to the deleted member: {leftovers}"

    from axes.models import AccessAttempt

    assert not AccessAttempt.objects.filter(username__iexact=email).exists()
    # The staff member's record of the deleted member's access survives, unlinked.
    kept = AuditEvent.objects.get(target="profile", actor__isnull=True)
    assert kept.actor_role == "member"
    assert client.get(reverse("core:home")).status_code == 302


def test_deletion_ends_the_member_sessions_elsewhere(busy_member):
    from django.test import Client

    phone, laptop = Client(), Client()
    for c in (phone, laptop):
        c.post(reverse("accounts:sign_in"), {"username": busy_member.email, "password": PASSWORD})
    # two-step sign-in is on for this member; finish it on both devices with recovery codes
    codes = services.recovery_codes_regenerate(user=busy_member)
    for c, code in zip((phone, laptop), codes, strict=False):
        c.post(reverse("accounts:sign_in_verify"), {"code": code})
    from django.contrib.sessions.models import Session

    assert MemberSession.objects.filter(user=busy_member).count() >= 2
    keys = list(
        MemberSession.objects.filter(user=busy_member).values_list("session_key", flat=True)
    )
    phone.post(reverse("accounts:delete"), {"password": PASSWORD})
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert laptop.get(reverse("core:home")).status_code == 302
