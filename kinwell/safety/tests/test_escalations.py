import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kinwell.accounts.tests.factories import UserFactory
from kinwell.core.models import AuditEvent, Notification
from kinwell.safety import services, spaces
from kinwell.safety.models import Escalation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def circle_space():
    """A stand-in shared space kind with one facilitator, as the circles app will register."""
    facilitator = UserFactory(display_name="Fac Fern", roles=["facilitator"])
    spaces.register(
        spaces.SpaceKind(
            kind="testspace",
            label=lambda i: f"Test space {i}",
            facilitator_ids=lambda i: [facilitator.pk] if i == 1 else [],
            spaces_facilitated_by=lambda u: [1] if u.pk == facilitator.pk else [],
        )
    )
    yield facilitator
    spaces._kinds.pop("testspace", None)


def test_none_level_creates_nothing(member, screen_as):
    screen_as("none")
    outcome = services.text_screen(
        author=member, text="lovely walk today", source_type="checkin_note"
    )
    assert outcome.level == "none"
    assert not Escalation.objects.exists()


def test_concern_is_escalated_quietly_and_stays_posted(member, moderator, screen_as):
    screen_as("concern")
    outcome = services.text_screen(
        author=member, text="what's the point", source_type="circle_post", space="testspace:1"
    )
    escalation = Escalation.objects.get(pk=outcome.escalation_id)
    assert escalation.level == "concern" and escalation.posted
    assert not outcome.needs_choice
    assert not Notification.objects.filter(user=moderator).exists()


def test_urgent_notifies_moderators_and_space_facilitator_on_commit(
    member, moderator, circle_space, screen_as, settings
):
    settings.ESCALATION_EMAIL = True
    screen_as("urgent")
    outcome = services.text_screen(
        author=member, text="tonight", source_type="circle_post", space="testspace:1"
    )
    assert outcome.needs_choice  # urgent in a shared space: the writer chooses
    assert Notification.objects.filter(user=moderator, title__startswith="Urgent").exists()
    assert Notification.objects.filter(user=circle_space, title__startswith="Urgent").exists()
    assert not Notification.objects.filter(user=member, title__startswith="Urgent").exists()
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {moderator.email, circle_space.email}
    assert "tonight" not in mail.outbox[0].body  # no member text in email


def test_private_urgent_text_needs_no_choice(member, screen_as):
    screen_as("urgent")
    outcome = services.text_screen(author=member, text="x", source_type="checkin_note")
    assert not outcome.needs_choice


def _escalation(author, space="", level="urgent"):
    return Escalation.objects.create(
        author=author, source_type="checkin_note", space=space, level=level, reasons=["r"], text="t"
    )


def test_acknowledge_twice_is_a_clear_conflict(member, moderator):
    other_mod = UserFactory(roles=["moderator"])
    escalation = _escalation(member)
    services.escalation_acknowledge(actor=moderator, escalation_id=escalation.pk)
    with pytest.raises(services.Conflict) as error:
        services.escalation_acknowledge(actor=other_mod, escalation_id=escalation.pk)
    assert "Already acknowledged by Mod Moss" in str(error.value)
    escalation.refresh_from_db()
    assert escalation.owner == moderator


def test_resolve_needs_a_note_and_keeps_it(member, moderator):
    escalation = _escalation(member)
    with pytest.raises(services.ValidationError):
        services.escalation_resolve(actor=moderator, escalation_id=escalation.pk, note=" ")
    services.escalation_resolve(actor=moderator, escalation_id=escalation.pk, note="Called; safe")
    escalation.refresh_from_db()
    assert escalation.state == "resolved" and escalation.owner == moderator
    assert escalation.notes.get().text == "Called; safe"
    with pytest.raises(services.Conflict):
        services.escalation_resolve(actor=moderator, escalation_id=escalation.pk, note="again")


def test_facilitator_sees_only_their_spaces(member, circle_space, client):
    mine = _escalation(member, space="testspace:1")
    theirs = _escalation(member, space="testspace:2")
    private = _escalation(member)
    client.force_login(circle_space)
    page = client.get(reverse("safety:queue") + "?state=all").content.decode()
    assert f"escalation-{mine.pk}" in page
    assert f"escalation-{theirs.pk}" not in page
    assert f"escalation-{private.pk}" not in page
    assert client.get(reverse("safety:escalation", args=[theirs.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        services.escalation_acknowledge(actor=circle_space, escalation_id=theirs.pk)


def test_members_cannot_open_the_queue(member, other_member, client):
    escalation = _escalation(other_member)
    client.force_login(member)
    assert client.get(reverse("safety:queue")).status_code == 403
    assert client.get(reverse("safety:escalation", args=[escalation.pk])).status_code == 403
    response = client.post(reverse("safety:acknowledge", args=[escalation.pk]))
    assert response.status_code in (302, 403)
    escalation.refresh_from_db()
    assert escalation.state == "open"


def test_a_moderator_never_handles_their_own_escalation(moderator):
    own = _escalation(moderator)
    with pytest.raises(PermissionDenied):
        services.escalation_acknowledge(actor=moderator, escalation_id=own.pk)


def test_opening_the_text_is_audited_and_shown_to_the_member(member, moderator, client):
    escalation = _escalation(member)
    client.force_login(moderator)
    page = client.get(reverse("safety:escalation", args=[escalation.pk]))
    assert page.status_code == 200
    event = AuditEvent.objects.get(subject=member)
    assert event.actor == moderator and event.action == "read"
    client.force_login(member)
    privacy = client.get(reverse("core:privacy")).content.decode()
    assert "Mod Moss" in privacy and "safety queue" in privacy


def test_queue_lists_without_reading_text(member, moderator, client):
    _escalation(member)
    client.force_login(moderator)
    client.get(reverse("safety:queue"))
    assert not AuditEvent.objects.exists()


def test_double_acknowledge_through_the_page_says_who(member, moderator, client):
    other_mod = UserFactory(roles=["moderator"])
    escalation = _escalation(member)
    services.escalation_acknowledge(actor=moderator, escalation_id=escalation.pk)
    client.force_login(other_mod)
    page = client.post(reverse("safety:acknowledge", args=[escalation.pk]), follow=True)
    assert "Already acknowledged by Mod Moss" in page.content.decode()


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert('x')</script> I want to die",
        "<img src=x onerror=alert(1)> tonight",
        "😔 ya no puedo más " * 50,
        "x" * 4999,
    ],
)
def test_member_text_is_stored_whole_and_rendered_inert(member, moderator, client, text, screen_as):
    screen_as("urgent")
    outcome = services.text_screen(author=member, text=text, source_type="checkin_note")
    escalation = Escalation.objects.get(pk=outcome.escalation_id)
    assert escalation.text == text
    client.force_login(moderator)
    html = client.get(reverse("safety:escalation", args=[escalation.pk])).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    from django.utils.html import escape

    assert escape(text[:40]) in html


def test_empty_text_is_never_escalated(member):
    outcome = services.text_screen(author=member, text="   ", source_type="checkin_note")
    assert outcome.level == "none"
    assert not Escalation.objects.exists()


def test_queue_page_queries_do_not_grow_with_rows(
    member, moderator, client, django_assert_max_num_queries
):
    client.force_login(moderator)
    for _ in range(3):
        _escalation(member)
    client.get(reverse("safety:queue"))
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("safety:queue"))
    for _ in range(10):
        _escalation(member)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("safety:queue"))
