"""A member's program data is in "Download my data" and goes with their account."""

import json
from dataclasses import dataclass

import pytest
from django.urls import reverse

from kinwell.accounts.tests.factories import PASSWORD
from kinwell.circles.tests.factories import make_circle
from kinwell.programs import services
from kinwell.programs.models import (
    CircleProgram,
    Enrolment,
    ProgressShare,
    ReflectionAck,
    Step,
)

pytestmark = pytest.mark.django_db


@dataclass
class Person:
    """Shaped like kinwell.core.demo.DemoPerson."""

    role: str
    email: str


TEN = "ten-days-of-reconnection"


@pytest.fixture
def busy(member, other_member, screen_as):
    screen_as("none")
    circle = make_circle(members=[member, other_member])
    cp = CircleProgram.objects.create(circle=circle, program=TEN)
    enrolment, _ = services.enrolment_start(user=member, slug=TEN)
    saved = services.step_complete(
        user=member, enrolment_id=enrolment.pk, day=1, reflection="My quiet words", share=True
    )
    services.progress_share_set(
        user=member, circle_id=circle.pk, circle_program_id=cp.pk, share=True
    )
    services.progress_share_set(
        user=other_member, circle_id=circle.pk, circle_program_id=cp.pk, share=True
    )
    services.reflection_ack(user=other_member, circle_id=circle.pk, step_id=saved.step.pk)
    other_enrolment, _ = services.enrolment_start(user=other_member, slug=TEN)
    other = services.step_complete(
        user=other_member,
        enrolment_id=other_enrolment.pk,
        day=1,
        reflection="Their words",
        share=True,
    )
    services.reflection_ack(user=member, circle_id=circle.pk, step_id=other.step.pk)
    return member


def test_export_holds_my_runs_reflections_shares_and_acknowledgements(client, busy):
    client.force_login(busy)
    data = json.loads(client.get(reverse("accounts:export")).content)["categories"]
    assert [r["program"] for r in data["programs.enrolments"]["rows"]] == [TEN]
    (step,) = data["programs.steps"]["rows"]
    assert step["reflection"] == "My quiet words" and step["day"] == 1
    assert len(data["programs.progress_shares"]["rows"]) == 1
    assert len(data["programs.acknowledgements"]["rows"]) == 1
    assert "Their words" not in json.dumps(data)


def test_deleting_my_account_removes_my_program_rows(client, busy, other_member):
    client.force_login(busy)
    client.post(reverse("accounts:delete"), {"password": PASSWORD})
    assert not Enrolment.objects.filter(user_id=busy.pk).exists()
    assert not Step.objects.filter(enrolment__user_id=busy.pk).exists()
    assert not ProgressShare.objects.filter(user_id=busy.pk).exists()
    assert not ReflectionAck.objects.filter(user_id=busy.pk).exists()
    # The other member's own reflection stays; their "I see you" on mine went with it.
    assert Step.objects.filter(enrolment__user=other_member).count() == 1
    assert not ReflectionAck.objects.filter(user=other_member).exists()


def test_demo_seeds_three_days_for_the_first_member_once():
    from kinwell.accounts.tests.factories import UserFactory
    from kinwell.checkins.services import member_today
    from kinwell.programs.content import get_program
    from kinwell.programs.demo import seed_programs_demo
    from kinwell.programs.selectors import progress_for

    river, sage = UserFactory(), UserFactory()
    seed_programs_demo([river, sage])
    seed_programs_demo([river, sage])
    enrolment = Enrolment.objects.get()
    assert enrolment.user == river and enrolment.program == TEN
    assert sorted(enrolment.steps.values_list("day", flat=True)) == [1, 2, 3]
    assert all(s.reflection for s in enrolment.steps.all())
    progress = progress_for(user=river, program=get_program(TEN))
    assert progress.can_step_today and progress.next_day == 4
    assert max(s.completed_on for s in progress.steps) < member_today(river)


def test_demo_accepts_the_demo_people_list_and_picks_the_first_member():
    from kinwell.accounts.tests.factories import UserFactory
    from kinwell.programs.demo import seed_programs_demo

    facilitator, river = UserFactory(), UserFactory()
    seed_programs_demo([Person("facilitator", facilitator.email), Person("member", river.email)])
    assert Enrolment.objects.get().user == river
