"""A new person's whole journey: sign up, sign in, two-step sign-in, download, delete."""

import base64
import json
from pathlib import Path

import pytest
from django_otp.oath import totp

from tests.browser.conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "wren@example.test"
PASSWORD = "slow mornings by the sea"


def code_for(secret: str, drift: int = 0) -> str:
    key = base64.b32decode(secret.replace(" ", ""))
    return f"{totp(key, drift=drift):06d}"


def test_sign_up_sign_in_two_step_download_and_delete(page):
    page.goto("/")
    check_axe(page)
    page.get_by_role("link", name="Join Kinwell").first.click()
    check_axe(page)

    page.get_by_label("Display name").fill("Wren")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("Country").select_option("NZ")
    page.get_by_label("I am 18 or older").check()
    page.get_by_label("I have read and accept").check()
    page.get_by_role("button", name="Create my account").click()
    page.get_by_role("heading", name="Welcome back, Wren").wait_for()
    check_axe(page)

    # Sign out and in again, with the keyboard only.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Welcome back, Wren").wait_for()

    # Turn on two-step sign-in.
    page.get_by_role("link", name="Security").first.click()
    check_axe(page)
    page.get_by_role("link", name="Turn on two-step sign-in").click()
    check_axe(page)
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code").fill(code_for(secret))
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("heading", name="Two-step sign-in is on").wait_for()
    check_axe(page)
    assert page.locator("#recovery-codes li").count() == 10
    page.get_by_role("link", name="I have saved them").click()

    # Signing in now asks for a code.
    page.get_by_role("button", name="Sign out").click()
    page.goto("/account/sign-in/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="One more step").wait_for()
    check_axe(page)
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_text("That code did not match").is_visible()
    assert page.get_by_text("please wait 1 second ").is_visible()
    page.wait_for_timeout(1500)  # a wrong code slows the next try, as a guesser would find
    page.get_by_label("Code").fill(code_for(secret, drift=1))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Welcome back, Wren").wait_for()

    # Help is one tap away and knows the country.
    page.get_by_role("banner").get_by_role("link", name="Get help now").click()
    page.get_by_role("heading", name="In New Zealand").wait_for()
    check_axe(page)

    # Download my data.
    page.get_by_role("link", name="Privacy").first.click()
    check_axe(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download my data").click()
    data = json.loads(Path(info.value.path()).read_text())
    assert data["schema"] == "kinwell-export/1"
    assert data["categories"]["accounts.profile"]["rows"][0]["email"] == EMAIL
    assert data["categories"]["accounts.profile"]["rows"][0]["country"] == "NZ"

    # Delete my account.
    page.get_by_role("link", name="Delete my account").click()
    check_axe(page)
    page.get_by_label("Your password").fill("wrong password")
    page.get_by_role("button", name="Delete my account and my data").click()
    assert page.get_by_text("That password is not right.").is_visible()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account and my data").click()
    page.get_by_role("heading", name="Your account is deleted").wait_for()
    check_axe(page)

    from kinwell.accounts.models import User

    assert not User.objects.filter(email=EMAIL).exists()

    # And the old password no longer opens anything.
    page.goto("/account/sign-in/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("do not match an account").is_visible()
