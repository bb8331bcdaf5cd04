from datetime import date, timedelta

import pytest
from django.urls import reverse

from kinwell.programs.models import Step
from kinwell.programs.services import enrolment_start

pytestmark = pytest.mark.django_db


def test_the_listening_practice_uses_the_empathy_coach(member, member_client):
    enrolment, _ = enrolment_start(user=member, slug="ten-days-of-reconnection")
    for number in range(1, 9):
        Step.objects.create(
            enrolment=enrolment, day=number, completed_on=date(2026, 1, 1) + timedelta(days=number)
        )
    page = member_client.get(reverse("programs:day", args=["ten-days-of-reconnection", 9]))
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="listening-reply"' in text
    assert "data-coach-box" in text
    assert 'data-coach-for="listening-reply"' in text


def test_only_the_facilitator_ends_a_circle_program_and_members_keep_their_runs(member):
    from kinwell.accounts.tests.factories import UserFactory
    from kinwell.circles.tests.factories import add_facilitator, make_circle
    from kinwell.circles.tests.test_circles import client_for
    from kinwell.programs.models import CircleProgram, Enrolment
    from kinwell.programs.services import circle_program_start

    circle = make_circle(members=[member])
    facilitator = UserFactory(roles=["facilitator"])
    add_facilitator(circle, facilitator)
    running = circle_program_start(actor=facilitator, circle_id=circle.pk, slug="safe-enough")
    enrolment_start(user=member, slug="safe-enough")
    url = reverse("programs:circle_end", args=[circle.pk, running.pk])
    client_for(member).post(url)
    assert CircleProgram.objects.filter(pk=running.pk).exists()
    client_for(facilitator).post(url)
    assert not CircleProgram.objects.filter(pk=running.pk).exists()
    assert Enrolment.objects.filter(user=member, program="safe-enough").exists()


def test_the_circle_page_offers_breathing_together(member):
    from kinwell.circles.tests.factories import make_circle
    from kinwell.circles.tests.test_circles import client_for

    circle = make_circle(members=[member])
    page = client_for(member).get(reverse("programs:circle", args=[circle.pk]))
    text = page.content.decode()
    assert "Breathe together" in text
    assert 'data-together="1"' in text
    assert "programs.js" in text
