"""Demo data: a living instance for newcomers. Idempotent: running it twice changes nothing
but the demo passwords, which are reset so that the printed logins always work."""

import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from kinwell.accounts import services as account_services
from kinwell.accounts.models import ConsentRecord, User
from kinwell.accounts.roles import ensure_roles
from kinwell.core.models import Notification


@dataclass(frozen=True)
class DemoPerson:
    role: str
    display_name: str
    email: str
    pronouns: str
    country: str
    time_zone: str


PEOPLE = [
    DemoPerson("member", "River", "river@demo.kinwell.test", "they/them", "GB", "Europe/London"),
    DemoPerson("member", "Sage", "sage@demo.kinwell.test", "she/her", "US", "America/Chicago"),
    DemoPerson("facilitator", "Fern", "fern@demo.kinwell.test", "she/her", "IE", "Europe/Dublin"),
    DemoPerson("clinician", "Dr Ash", "ash@demo.kinwell.test", "he/him", "CA", "America/Toronto"),
    DemoPerson("moderator", "Moss", "moss@demo.kinwell.test", "", "AU", "Australia/Sydney"),
]


@transaction.atomic
def seed_demo(*, password: str = "") -> tuple[str, list[DemoPerson]]:
    password = password or secrets.token_urlsafe(9)
    ensure_roles()
    for person in PEOPLE:
        user = User.objects.filter(email=person.email).first()
        if user is None:
            user = account_services.user_sign_up(
                display_name=person.display_name,
                email=person.email,
                password=password,
                adult_confirmed=True,
                research_consent=person.role == "member",
                country=person.country,
                time_zone=person.time_zone,
                pronouns=person.pronouns,
            )
            Notification.objects.create(
                user=user,
                title="Welcome to Kinwell",
                body="This is a demo account. Look around; nothing here is real.",
                url="/privacy/",
            )
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        if person.role != "member":
            user.groups.add(Group.objects.get(name=person.role))
        if not ConsentRecord.objects.filter(user=user).exists():
            for purpose in ("terms", "privacy"):
                account_services.consent_set(user=user, purpose=purpose, granted=True)
    return password, PEOPLE
