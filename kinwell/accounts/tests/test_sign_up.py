import pytest
from django.contrib.auth.hashers import identify_hasher
from django.urls import reverse

from kinwell.accounts.models import ConsentRecord, User
from kinwell.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "display_name": "Quiet Harbour",
    "email": "Harbour@Example.test",
    "password1": "river stones and tea",
    "password2": "river stones and tea",
    "country": "GB",
    "time_zone": "Europe/London",
    "adult": "on",
    "accept": "on",
}


def test_sign_up_creates_a_member_signed_in_with_consents(client):
    response = client.post(reverse("accounts:sign_up"), GOOD)
    assert response.status_code == 302
    user = User.objects.get(email="harbour@example.test")
    assert user.display_name == "Quiet Harbour"
    assert user.groups.filter(name="member").exists()
    assert user.adult_confirmed_at is not None
    consents = {c.purpose: c.granted for c in ConsentRecord.objects.filter(user=user)}
    assert consents == {"terms": True, "privacy": True, "research": False}
    home = client.get(reverse("core:home"))
    assert home.status_code == 200
    assert "Welcome back, Quiet Harbour" in home.content.decode()


def test_sign_up_records_optional_research_consent(client):
    client.post(reverse("accounts:sign_up"), {**GOOD, "research": "on"})
    record = ConsentRecord.objects.get(user__email="harbour@example.test", purpose="research")
    assert record.granted is True
    assert record.version


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"adult": ""}, "adult", "18 or older"),
        ({"accept": ""}, "accept", "accept the terms"),
        ({"password2": "something else entirely"}, "password2", "different"),
        ({"password1": "short", "password2": "short"}, "password1", "too short"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"display_name": "x"}, "display_name", "at least 2"),
    ],
)
def test_sign_up_shows_field_errors(client, change, field, message):
    response = client.post(reverse("accounts:sign_up"), {**GOOD, **change})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert not User.objects.filter(email="harbour@example.test").exists()


def test_duplicate_email_is_refused_whatever_the_case(client):
    UserFactory(email="harbour@example.test")
    response = client.post(reverse("accounts:sign_up"), GOOD)
    assert response.status_code == 200
    assert "already exists" in " ".join(response.context["form"].errors["email"])
    assert User.objects.filter(email__iexact="harbour@example.test").count() == 1


def test_duplicate_display_name_is_refused_whatever_the_case(client):
    UserFactory(display_name="quiet harbour")
    response = client.post(reverse("accounts:sign_up"), GOOD)
    assert "taken" in " ".join(response.context["form"].errors["display_name"])


def test_passwords_are_hashed_with_argon2(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    client.post(reverse("accounts:sign_up"), GOOD)
    user = User.objects.get(email="harbour@example.test")
    assert identify_hasher(user.password).algorithm == "argon2"


def test_signed_in_member_visiting_sign_up_goes_home(member_client):
    response = member_client.get(reverse("accounts:sign_up"))
    assert response.status_code == 302
    assert response.url == reverse("core:home")
