import re

import pytest
from django.urls import reverse

from kinwell.accounts.tests.factories import UserFactory
from kinwell.core.services import audit_record

pytestmark = pytest.mark.django_db

PUBLIC = [
    "core:landing",
    "accounts:sign_in",
    "accounts:sign_up",
    "accounts:password_reset",
    "safety:help",
]
MEMBER = [
    "core:home",
    "core:privacy",
    "accounts:profile",
    "accounts:security",
    "accounts:delete",
    "accounts:password_change",
    "accounts:two_factor_setup",
]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_pages_have_help_one_tap_away_and_a_nonce_csp(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{reverse("safety:help")}"' in html
    assert "Get help now" in html
    csp = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert "'unsafe-inline'" not in csp


@pytest.mark.parametrize("name", MEMBER)
def test_member_pages_need_sign_in_and_have_help(client, member_client, name):
    anonymous = client.get(reverse(name))
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("accounts:sign_in"))
    page = member_client.get(reverse(name))
    assert page.status_code == 200
    assert "Get help now" in page.content.decode()


def test_healthz_is_plain_and_cheap(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.content == b"ok"


def test_home_shows_only_working_features(member_client):
    html = member_client.get(reverse("core:home")).content.decode()
    for href in re.findall(r'href="(/[^"]*)"', html):
        if href.startswith("/static/"):
            continue
        assert member_client.get(href).status_code in (200, 302), href


def test_privacy_page_lists_data_and_access_log(member_client, member):
    moderator = UserFactory(display_name="Mod Ray", roles=["moderator"])
    audit_record(actor=moderator, subject=member, action="viewed", target="check-in note")
    html = member_client.get(reverse("core:privacy")).content.decode()
    assert "Your account and profile" in html
    assert "Mod Ray" in html and "moderator" in html and "check-in note" in html


def test_privacy_page_access_log_is_only_about_me(member_client, member):
    other = UserFactory()
    moderator = UserFactory(roles=["moderator"])
    audit_record(actor=moderator, subject=other, action="viewed", target="secret thing")
    assert "secret thing" not in member_client.get(reverse("core:privacy")).content.decode()


def test_research_consent_can_be_changed(member_client, member):
    from kinwell.accounts.services import consents_current

    member_client.post(reverse("accounts:consent_research"), {"research": "on"})
    assert consents_current(user=member)["research"].granted is True
    member_client.post(reverse("accounts:consent_research"), {})
    assert consents_current(user=member)["research"].granted is False


def test_policies_render_and_unknown_policy_redirects(client):
    assert "Terms of use" in client.get(reverse("core:policy", args=["terms"])).content.decode()
    assert client.get(reverse("core:policy", args=["nope"])).status_code == 302


def test_admin_view_of_a_member_is_audited(client, member):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get(reverse("admin:accounts_user_change", args=[member.pk]))
    assert response.status_code == 200
    assert member.audit_events_about.filter(actor=admin, action="viewed").exists()


def test_admin_login_goes_through_kinwell_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    response = client.get(response.url)
    assert response.url.startswith(reverse("accounts:sign_in"))


def test_roles_are_assignable_groups(member):
    from django.contrib.auth.models import Group

    from kinwell.accounts.roles import has_role, roles_of

    assert roles_of(member) == ["member"]
    member.groups.add(Group.objects.get(name="facilitator"))
    member = type(member).objects.get(pk=member.pk)  # permissions are cached per instance
    assert has_role(member, "facilitator")
    assert not has_role(member, "moderator")


def test_mark_notifications_read_with_htmx_returns_the_list(member_client, member):
    from kinwell.core.models import Notification
    from kinwell.core.services import notification_send

    notification_send(user=member, title="Hello there")
    response = member_client.post(reverse("core:notifications_read"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.strip().startswith('<ul class="notes" id="note-list">')
    assert "Hello there" in html and "unread" not in html
    assert not Notification.objects.filter(user=member, read_at__isnull=True).exists()


def test_not_found_page_is_ours_and_has_help(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "We could not find that page" in html and "Get help now" in html


def test_forbidden_page_is_ours_and_says_why(member_client):
    response = member_client.get(reverse("safety:queue"))
    assert response.status_code == 403
    assert "facilitators and moderators" in response.content.decode()


def test_home_page_query_count_stays_small(member_client, member, django_assert_max_num_queries):
    from kinwell.core.services import notification_send

    for n in range(5):
        notification_send(user=member, title=f"note {n}")
    member_client.get(reverse("core:home"))  # warm the cached navigation
    # session, member, notifications, today's check-in, due reminders, overdue people
    with django_assert_max_num_queries(6):
        assert member_client.get(reverse("core:home")).status_code == 200
