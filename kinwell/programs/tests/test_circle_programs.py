"""Programs in a circle: the facilitator starts one, members opt in to share, opted-in
members see each other's days and shared reflections and can say "I see you"."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from kinwell.accounts.tests.factories import UserFactory
from kinwell.checkins.services import member_today
from kinwell.circles.models import Agreement
from kinwell.circles.tests.factories import add_facilitator, make_circle
from kinwell.core.models import Notification
from kinwell.programs import services
from kinwell.programs.models import CircleProgram, ProgressShare, ReflectionAck, Step
from kinwell.safety.models import Block

pytestmark = pytest.mark.django_db

TEN = "ten-days-of-reconnection"


@pytest.fixture(autouse=True)
def _quiet_screen(screen_as):
    screen_as("none")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def people():
    ash, bea, cal = (UserFactory(display_name=n) for n in ("Ash", "Bea", "Cal"))
    fern = UserFactory(display_name="Fern")
    circle = make_circle(members=[ash, bea, cal])
    add_facilitator(circle, fern)
    return circle, fern, ash, bea, cal


def start(circle, fern):
    client_for(fern).post(reverse("programs:circle_start", args=[circle.pk]), {"program": TEN})
    return CircleProgram.objects.get(circle=circle, program=TEN)


def share(user, circle, cp, on=True):
    return client_for(user).post(
        reverse("programs:circle_share", args=[circle.pk, cp.pk]), {"share": "1" if on else "0"}
    )


def reflect(user, days=2, shared=(1,)):
    enrolment, _ = services.enrolment_start(user=user, slug=TEN)
    today = member_today(user)
    return [
        Step.objects.create(
            enrolment=enrolment,
            day=n,
            completed_on=today - timedelta(days=days - n),
            reflection=f"{user.display_name} on day {n}",
            shared=n in shared,
        )
        for n in range(1, days + 1)
    ]


def board(user, circle) -> str:
    return client_for(user).get(reverse("programs:circle", args=[circle.pk])).content.decode()


def test_a_facilitator_starts_a_program_and_members_are_told(people):
    circle, fern, ash, bea, cal = people
    start(circle, fern)
    assert CircleProgram.objects.filter(circle=circle).count() == 1
    told = set(
        Notification.objects.filter(title__contains="Ten days").values_list("user", flat=True)
    )
    assert told == {ash.pk, bea.pk, cal.pk}
    assert "Ten days of reconnection" in board(ash, circle)


def test_a_member_who_is_not_the_facilitator_cannot_start_one(people):
    circle, _fern, ash, *_ = people
    response = client_for(ash).post(
        reverse("programs:circle_start", args=[circle.pk]), {"program": TEN}, follow=True
    )
    assert "Only this circle&#x27;s facilitator" in response.content.decode()
    assert not CircleProgram.objects.exists()
    assert "Start a program for the circle" not in board(ash, circle)


def test_the_circle_page_is_404_for_people_outside_the_circle(people, other_member):
    circle, *_ = people
    assert (
        client_for(other_member).get(reverse("programs:circle", args=[circle.pk])).status_code
        == 404
    )


def test_unread_agreements_send_the_member_to_read_them_first(people):
    circle, _fern, ash, *_ = people
    Agreement.objects.create(circle=circle, version=2, text="New agreements " * 10)
    response = client_for(ash).get(reverse("programs:circle", args=[circle.pk]))
    assert response.url == reverse("circles:agreements", args=[circle.pk])


def test_only_opted_in_members_see_each_others_progress_and_shared_reflections(people):
    circle, fern, ash, bea, cal = people
    cp = start(circle, fern)
    reflect(ash, days=3, shared=(2,))
    reflect(bea, days=1, shared=())
    share(ash, circle, cp)
    # Bea has not opted in: she sees that one person shares, not what.
    page = board(bea, circle)
    assert "1 member sharing" in page and "Ash on day 2" not in page
    share(bea, circle, cp)
    page = board(bea, circle)
    assert "3 of 10 days done" in page and "1 of 10 days done" in page
    assert "Ash on day 2" in page  # shared
    assert "Ash on day 1" not in page and "Ash on day 3" not in page  # kept private
    assert "Bea on day 1" not in page  # her own, not shared
    # Cal never opted in: he sees no one's progress.
    assert "Ash on day 2" not in board(cal, circle)


def test_opting_out_hides_my_progress_again(people):
    circle, fern, ash, bea, _cal = people
    cp = start(circle, fern)
    reflect(ash, shared=(1,))
    share(ash, circle, cp)
    share(bea, circle, cp)
    assert "Ash on day 1" in board(bea, circle)
    share(ash, circle, cp, on=False)
    assert not ProgressShare.objects.filter(user=ash).exists()
    assert "Ash on day 1" not in board(bea, circle)


def test_saying_i_see_you_once_tells_the_writer(people):
    circle, fern, ash, bea, _cal = people
    cp = start(circle, fern)
    (step,) = [s for s in reflect(ash, shared=(1,)) if s.shared]
    share(ash, circle, cp)
    share(bea, circle, cp)
    url = reverse("programs:circle_ack", args=[circle.pk, step.pk])
    client_for(bea).post(url)
    response = client_for(bea).post(url, follow=True)
    assert "You already let them know." in response.content.decode()
    assert ReflectionAck.objects.filter(step=step).count() == 1
    note = Notification.objects.get(user=ash, title="Bea sees you")
    assert note.url == reverse("programs:reflection", args=[step.pk])
    assert "You see them." in board(bea, circle)
    assert "1 person sees you." in board(ash, circle)


def test_no_i_see_you_on_your_own_or_an_unshared_reflection(people):
    circle, fern, ash, bea, _cal = people
    cp = start(circle, fern)
    private, shared = reflect(ash, shared=(2,))
    share(ash, circle, cp)
    share(bea, circle, cp)
    own = client_for(ash).post(
        reverse("programs:circle_ack", args=[circle.pk, shared.pk]), follow=True
    )
    assert "This is your own reflection." in own.content.decode()
    hidden = client_for(bea).post(reverse("programs:circle_ack", args=[circle.pk, private.pk]))
    assert hidden.status_code == 404
    assert not ReflectionAck.objects.exists()


def test_blocked_people_do_not_see_each_others_reflections(people):
    circle, fern, ash, bea, _cal = people
    cp = start(circle, fern)
    (step,) = [s for s in reflect(ash, shared=(1,)) if s.shared]
    share(ash, circle, cp)
    share(bea, circle, cp)
    Block.objects.create(blocker=ash, blocked=bea)
    assert "Ash on day 1" not in board(bea, circle)
    response = client_for(bea).post(reverse("programs:circle_ack", args=[circle.pk, step.pk]))
    assert response.status_code == 404


def test_a_member_can_share_and_unshare_a_reflection_later(people):
    circle, fern, ash, bea, _cal = people
    cp = start(circle, fern)
    (step, _) = reflect(ash, shared=())
    share(ash, circle, cp)
    share(bea, circle, cp)
    url = reverse("programs:reflection_share", args=[step.pk])
    client_for(ash).post(url, {"share": "1"})
    assert "Ash on day 1" in board(bea, circle)
    client_for(ash).post(url, {"share": "0"})
    assert "Ash on day 1" not in board(bea, circle)


def test_an_urgent_reflection_is_kept_private_even_when_sharing_was_ticked(people, screen_as):
    circle, fern, ash, _bea, _cal = people
    cp = start(circle, fern)
    share(ash, circle, cp)
    services.enrolment_start(user=ash, slug=TEN)
    screen_as("urgent")
    client = client_for(ash)
    response = client.post(
        reverse("programs:day", args=[TEN, 1]),
        {"reflection": "I can't keep going", "share": "on"},
    )
    html = response.content.decode()
    assert "You matter" in html and "We kept your reflection private for now" in html
    assert Step.objects.get(enrolment__user=ash).shared is False


def test_sharing_box_appears_only_for_members_who_share_the_program_somewhere(people):
    circle, fern, ash, *_ = people
    services.enrolment_start(user=ash, slug=TEN)
    day_one = reverse("programs:day", args=[TEN, 1])
    assert (
        "Share this reflection with my circle" not in client_for(ash).get(day_one).content.decode()
    )
    cp = start(circle, fern)
    share(ash, circle, cp)
    assert "Share this reflection with my circle" in client_for(ash).get(day_one).content.decode()


def test_a_shared_reflection_can_be_reported_by_those_who_can_read_it(people, other_member):
    from kinwell.safety import report_targets

    circle, fern, ash, bea, _cal = people
    cp = start(circle, fern)
    (step,) = [s for s in reflect(ash, shared=(1,)) if s.shared]
    share(ash, circle, cp)
    share(bea, circle, cp)
    assert report_targets.owner_of("program_reflection", step.pk, viewer=bea) == ash
    assert report_targets.owner_of("program_reflection", step.pk, viewer=other_member) is None


def test_the_circle_board_reads_in_a_bounded_number_of_queries(
    people, django_assert_max_num_queries
):
    circle, fern, ash, bea, cal = people
    cp = start(circle, fern)
    for person in (ash, bea, cal):
        reflect(person, days=3, shared=(1, 2))
        share(person, circle, cp)
    client = client_for(bea)
    with django_assert_max_num_queries(20):
        client.get(reverse("programs:circle", args=[circle.pk]))
