import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kinwell.accounts.tests.factories import UserFactory
from kinwell.core.models import Notification
from kinwell.safety import services
from kinwell.safety.models import Escalation, ModerationDecision, Report
from kinwell.safety.selectors import blocked_ids_for, posting_paused_until

pytestmark = pytest.mark.django_db

PLAN = {
    "warning_signs": "Not sleeping; pulling away from everyone",
    "coping_steps": "Cold water on my face\nWalk round the block",
    "distractions": "The library",
    "people_to_ask": "Sam 0123 456\nMy sister",
    "professionals": "Dr Lee",
    "safer_surroundings": "Give the meds to Sam",
    "reasons_for_living": "My cat, Juno",
}


def test_member_writes_views_and_prints_their_plan(member_client, member):
    response = member_client.post(reverse("safety:plan_edit"), PLAN)
    assert response.url == reverse("safety:plan")
    page = member_client.get(reverse("safety:plan")).content.decode()
    assert "My cat, Juno" in page and "data-print" in page
    assert "Cold water on my face<br>Walk round the block" in page


def test_empty_plan_opens_the_editor(member_client):
    assert member_client.get(reverse("safety:plan")).url == reverse("safety:plan_edit")


def test_plan_is_one_tap_from_every_page_and_from_help(member_client):
    member_client.post(reverse("safety:plan_edit"), PLAN)
    for name in ("core:home", "core:privacy", "accounts:profile"):
        assert (
            f'href="{reverse("safety:plan")}"' in member_client.get(reverse(name)).content.decode()
        )
    help_page = member_client.get(reverse("safety:help")).content.decode()
    assert "Open my safety plan" in help_page and "Cold water" in help_page


def test_plan_text_is_escaped(member_client):
    member_client.post(
        reverse("safety:plan_edit"), {**PLAN, "distractions": "<script>x()</script>"}
    )
    page = member_client.get(reverse("safety:plan")).content.decode()
    assert "<script>x()" not in page and "&lt;script&gt;" in page


def test_block_hides_both_ways(member, other_member, client):
    services.block_create(actor=member, other_id=other_member.pk)
    assert blocked_ids_for(user=member) == {other_member.pk}
    assert blocked_ids_for(user=other_member) == {member.pk}
    client.force_login(other_member)
    assert client.get(reverse("safety:member", args=[member.pk])).status_code == 404
    client.force_login(member)
    assert client.get(reverse("safety:member", args=[other_member.pk])).status_code == 404


def test_block_and_mute_from_the_member_page(member_client, member, other_member):
    page = member_client.get(reverse("safety:member", args=[other_member.pk])).content.decode()
    assert "Block" in page and "Mute" in page and "Report" in page
    member_client.post(reverse("safety:relation", args=[other_member.pk, "mute"]))
    assert member.mutes_made.filter(muted=other_member).exists()
    member_client.post(reverse("safety:relation", args=[other_member.pk, "unmute"]))
    assert not member.mutes_made.exists()
    member_client.post(reverse("safety:relation", args=[member.pk, "block"]))
    assert not member.blocks_made.exists()  # cannot block yourself


def test_report_a_member_goes_to_moderators(member_client, member, other_member, moderator):
    response = member_client.post(
        reverse("safety:report", args=["member", other_member.pk]),
        {"reason": "harassment", "details": "keeps messaging me"},
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.reported == other_member and report.reporter == member


def test_reporting_is_rate_limited_with_a_clear_message(member, settings):
    others = [UserFactory() for _ in range(11)]
    for other in others[:10]:
        services.report_create(
            reporter=member, target_type="member", target_id=other.pk, reason="spam"
        )
    with pytest.raises(ValidationError) as error:
        services.report_create(
            reporter=member, target_type="member", target_id=others[10].pk, reason="spam"
        )
    assert "please wait" in str(error.value)
    assert Report.objects.count() == 10


def test_a_safety_report_opens_an_escalation_and_cannot_sanction(member, other_member, moderator):
    report = services.report_create(
        reporter=member,
        target_type="member",
        target_id=other_member.pk,
        reason="safety",
        details="said goodbye in chat",
    )
    assert Escalation.objects.filter(author=other_member, source_type="report").exists()
    with pytest.raises(ValidationError):
        services.report_decide(
            moderator=moderator,
            report_id=report.pk,
            action="posting_paused",
            rule="spam",
            reason="x",
            pause_days=3,
        )


def test_decision_shows_reason_and_allows_one_appeal(member, other_member, moderator, client):
    second_mod = UserFactory(roles=["moderator"])
    report = services.report_create(
        reporter=member, target_type="member", target_id=other_member.pk, reason="harassment"
    )
    decision = services.report_decide(
        moderator=moderator,
        report_id=report.pk,
        action="posting_paused",
        rule="harassment",
        reason="Repeated unwanted messages after being asked to stop.",
        pause_days=3,
    )
    assert posting_paused_until(user=other_member) is not None
    assert Notification.objects.filter(user=other_member, url="/safety/decisions/").exists()
    client.force_login(other_member)
    page = client.get(reverse("safety:decisions")).content.decode()
    assert "Repeated unwanted messages" in page and "Appeal this decision" in page
    client.post(reverse("safety:appeal", args=[decision.pk]), {"text": "I was misunderstood"})
    second = client.post(reverse("safety:appeal", args=[decision.pk]), {"text": "again"})
    assert "already appealed" in second.content.decode()
    appeal = decision.appeal
    with pytest.raises(PermissionDenied):  # another moderator exists, so not the same one
        services.appeal_decide(reviewer=moderator, appeal_id=appeal.pk, overturn=True, reason="x")
    services.appeal_decide(reviewer=second_mod, appeal_id=appeal.pk, overturn=True, reason="Fair")
    assert posting_paused_until(user=other_member) is None


def test_sanction_must_name_a_rule(member, other_member, moderator):
    report = services.report_create(
        reporter=member, target_type="member", target_id=other_member.pk, reason="other"
    )
    with pytest.raises(ValidationError):
        services.report_decide(
            moderator=moderator, report_id=report.pk, action="warning", rule="none", reason="x"
        )
    assert not ModerationDecision.objects.exists()


def test_members_cannot_decide_reports(member_client, member, other_member):
    report = services.report_create(
        reporter=member, target_type="member", target_id=other_member.pk, reason="spam"
    )
    assert member_client.get(reverse("safety:reports")).status_code == 403
    assert member_client.get(reverse("safety:report_decide", args=[report.pk])).status_code == 403


def test_nobody_can_open_someone_elses_decision(member_client, other_member, moderator, member):
    third = UserFactory()
    report = services.report_create(
        reporter=third, target_type="member", target_id=other_member.pk, reason="spam"
    )
    decision = services.report_decide(
        moderator=moderator, report_id=report.pk, action="warning", rule="spam", reason="ads"
    )
    assert member_client.get(reverse("safety:appeal", args=[decision.pk])).status_code == 404


def test_posting_check_limits_bursts_and_respects_pauses(member, other_member, moderator):
    for _ in range(services.POSTS_PER_MINUTE):
        assert services.posting_check(user=member) == ""
    assert "Take a breath" in services.posting_check(user=member)
    report = services.report_create(
        reporter=member, target_type="member", target_id=other_member.pk, reason="spam"
    )
    services.report_decide(
        moderator=moderator,
        report_id=report.pk,
        action="posting_paused",
        rule="spam",
        reason="ads",
        pause_days=1,
    )
    assert "paused your posting" in services.posting_check(user=other_member)


def test_report_details_are_screened_for_the_reporter(member, other_member, screen_as):
    screen_as("urgent")
    services.report_create(
        reporter=member,
        target_type="member",
        target_id=other_member.pk,
        reason="other",
        details="honestly I'm done, tonight is the night",
    )
    assert Escalation.objects.filter(author=member, source_type="report_details").exists()
