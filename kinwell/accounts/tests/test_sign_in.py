import time

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinwell.accounts import services
from kinwell.accounts.models import MemberSession
from kinwell.accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post(
        reverse("accounts:sign_in"), {"username": email, "password": password, **extra}
    )


def enable_two_factor(user) -> list[str]:
    device = services.totp_begin(user=user)
    return services.totp_confirm(user=user, token=f"{totp(device.bin_key):06d}")


def current_code(user) -> str:
    # The setup already used this 30-second step's code, and codes are single-use;
    # the device accepts the next step's code too (one step of clock drift).
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, drift=1):06d}"


def test_sign_in_with_email_and_password(client, member):
    response = sign_in(client, member.email.upper())
    assert response.status_code == 302
    assert client.get(reverse("core:home")).status_code == 200
    assert MemberSession.objects.filter(user=member).count() == 1


def test_wrong_password_gives_one_clear_message(client, member):
    response = sign_in(client, member.email, "wrong password")
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()


def test_sign_in_is_paused_after_repeated_failures(client, member):
    for _ in range(5):
        sign_in(client, member.email, "wrong password")
    response = sign_in(client, member.email)  # even the right password is refused now
    assert response.status_code == 429
    assert "paused" in response.content.decode()
    assert client.get(reverse("core:home")).status_code == 302


def test_next_must_stay_on_this_site(client, member):
    response = sign_in(client, member.email, next="https://evil.example/")
    assert response.url == reverse("core:home")
    client.post(reverse("accounts:sign_out"))
    response = sign_in(client, member.email, next="/privacy/")
    assert response.url == "/privacy/"


def test_two_factor_asks_for_a_code_before_signing_in(client, member):
    enable_two_factor(member)
    response = sign_in(client, member.email)
    assert response.url == reverse("accounts:sign_in_verify")
    assert client.get(reverse("core:home")).status_code == 302  # not signed in yet
    response = client.post(reverse("accounts:sign_in_verify"), {"code": current_code(member)})
    assert response.status_code == 302
    assert client.get(reverse("core:home")).status_code == 200


def test_wrong_two_factor_code_is_a_clear_field_error(client, member):
    enable_two_factor(member)
    sign_in(client, member.email)
    response = client.post(reverse("accounts:sign_in_verify"), {"code": "000000"})
    assert response.status_code == 200
    assert "did not match" in " ".join(response.context["form"].errors["code"])
    assert client.get(reverse("core:home")).status_code == 302


def test_too_many_wrong_codes_start_over(client, member):
    enable_two_factor(member)
    sign_in(client, member.email)
    for _ in range(5):
        response = client.post(reverse("accounts:sign_in_verify"), {"code": "111111"})
    assert response.url == reverse("accounts:sign_in")
    assert client.get(reverse("accounts:sign_in_verify")).url == reverse("accounts:sign_in")


def test_recovery_code_works_once(client, member):
    codes = enable_two_factor(member)
    sign_in(client, member.email)
    assert client.post(reverse("accounts:sign_in_verify"), {"code": codes[0]}).status_code == 302
    client.post(reverse("accounts:sign_out"))
    sign_in(client, member.email)
    response = client.post(reverse("accounts:sign_in_verify"), {"code": codes[0]})
    assert response.status_code == 200
    assert services.recovery_codes_left(user=member) == 9


def test_code_step_expires(client, member, monkeypatch):
    enable_two_factor(member)
    sign_in(client, member.email)
    later = time.time() + 301
    monkeypatch.setattr("kinwell.accounts.views.time.time", lambda: later)
    response = client.post(reverse("accounts:sign_in_verify"), {"code": current_code(member)})
    assert response.url == reverse("accounts:sign_in")


def test_sign_out_needs_post(member_client):
    assert member_client.get(reverse("accounts:sign_out")).status_code == 405
    member_client.post(reverse("accounts:sign_out"))
    assert member_client.get(reverse("core:home")).status_code == 302


def test_next_that_is_not_a_path_goes_home(member, client, member_client):
    # redirect() takes a bare word for a URL name: "?next=-5" was a 500 (found by fuzzing).
    signed_in = member_client.get(reverse("accounts:sign_in") + "?next=-5")
    assert signed_in.status_code == 302 and signed_in["Location"] == reverse("core:home")
    response = sign_in(client, member.email, next="accounts:delete")
    assert response.status_code == 302 and response["Location"] == reverse("core:home")
