import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinwell.accounts import services
from kinwell.accounts.tests.factories import PASSWORD
from kinwell.core.models import Notification

pytestmark = pytest.mark.django_db


def test_two_factor_setup_shows_qr_and_confirms_with_a_code(member_client, member):
    page = member_client.get(reverse("accounts:two_factor_setup"))
    assert page.status_code == 200
    assert "data:image/svg+xml;base64," in page.content.decode()
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    response = member_client.post(
        reverse("accounts:two_factor_setup"), {"code": f"{totp(device.bin_key):06d}"}
    )
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10
    assert services.two_factor_enabled(member)
    assert Notification.objects.filter(user=member, title="Two-step sign-in is on").exists()


def test_two_factor_setup_rejects_a_wrong_code(member_client, member):
    member_client.get(reverse("accounts:two_factor_setup"))
    response = member_client.post(reverse("accounts:two_factor_setup"), {"code": "123456"})
    assert response.status_code == 200
    assert "did not match" in " ".join(response.context["form"].errors["code"])
    assert not services.two_factor_enabled(member)


def test_turning_two_factor_off_needs_the_password(member_client, member):
    device = services.totp_begin(user=member)
    services.totp_confirm(user=member, token=f"{totp(device.bin_key):06d}")
    wrong = member_client.post(reverse("accounts:two_factor_disable"), {"password": "nope"})
    assert "not right" in " ".join(wrong.context["form"].errors["password"])
    assert services.two_factor_enabled(member)
    member_client.post(reverse("accounts:two_factor_disable"), {"password": PASSWORD})
    assert not services.two_factor_enabled(member)


def test_new_recovery_codes_replace_the_old_ones(member_client, member):
    device = services.totp_begin(user=member)
    old = services.totp_confirm(user=member, token=f"{totp(device.bin_key):06d}")
    response = member_client.post(reverse("accounts:recovery_codes_new"))
    new = response.context["codes"]
    assert set(old).isdisjoint(new)
    assert services.two_factor_verify(user=member, token=new[0])
    assert not services.two_factor_verify(user=member, token=old[0])


def test_password_change_notifies_and_keeps_the_session(member_client, member):
    response = member_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new passphrase",
            "new_password2": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("a brand new passphrase")
    assert member_client.get(reverse("core:home")).status_code == 200
    assert Notification.objects.filter(user=member, title="Your password was changed").exists()


def _reset_link(client, email: str) -> str:
    client.post(reverse("accounts:password_reset"), {"email": email})
    assert len(mail.outbox) == 1
    match = re.search(r"https?://[^/]+(/account/password-reset/\S+/)", str(mail.outbox[0].body))
    assert match
    return match.group(1)


def test_password_reset_by_email(client, member):
    link = _reset_link(client, member.email)
    page = client.get(link, follow=True)
    assert "Choose a new password" in page.content.decode()
    response = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "fresh start passphrase", "new_password2": "fresh start passphrase"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("fresh start passphrase")


def test_used_or_expired_reset_link_says_so(client, member, settings):
    link = _reset_link(client, member.email)
    member.set_password("changed elsewhere meanwhile")
    member.save()  # changing the password invalidates the token, like expiry does
    page = client.get(link, follow=True)
    assert page.status_code == 200
    assert "This link has expired" in page.content.decode()


def test_reset_for_unknown_email_reveals_nothing(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 0


# --- Every change to how an account signs in is on the member's own record -------------


def _security_trail(member) -> list[str]:
    from kinwell.core.models import AuditEvent

    return list(
        AuditEvent.objects.filter(subject=member, action="security")
        .order_by("pk")
        .values_list("target", flat=True)
    )


def test_sign_in_changes_are_recorded_and_told_to_the_member(member_client, member):
    member_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another long passphrase",
            "new_password2": "another long passphrase",
        },
    )
    member.refresh_from_db()
    device = services.totp_begin(user=member)
    services.totp_confirm(user=member, token=f"{totp(device.bin_key):06d}")
    member_client.post(reverse("accounts:recovery_codes_new"))
    code = services.recovery_codes_regenerate(user=member)[0]
    assert services.two_factor_verify(user=member, token=code)
    assert not services.two_factor_verify(user=member, token=code)  # used up: no record
    services.two_factor_disable(user=member, password="another long passphrase")
    assert _security_trail(member) == [
        "password changed",
        "two-step sign-in turned on",
        "new recovery codes made",
        "signed in with a recovery code",
        "two-step sign-in turned off",
    ]
    titles = set(Notification.objects.filter(user=member).values_list("title", flat=True))
    assert {"You made new recovery codes", "You signed in with a recovery code"} <= titles
    page = member_client.get(reverse("accounts:security")).content.decode()
    assert "Signed in with a recovery code" in page
    # Not "someone looked at your data": the privacy page's access log leaves these out.
    privacy = member_client.get(reverse("core:privacy")).content.decode()
    assert "signed in with a recovery code" not in privacy


def test_a_password_reset_by_email_is_recorded_and_told(client, member):
    link = _reset_link(client, member.email)
    page = client.get(link, follow=True)
    client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "fresh start passphrase", "new_password2": "fresh start passphrase"},
    )
    assert _security_trail(member) == ["password reset by email link"]
    assert Notification.objects.filter(user=member, title="Your password was reset").exists()
