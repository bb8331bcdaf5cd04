"""The hand-written session and user loads must keep Django's rules exactly."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from kinwell.accounts.backends import KinwellBackend
from kinwell.accounts.session_db import SessionStore

pytestmark = pytest.mark.django_db


def test_backend_loads_the_same_user_the_orm_would(member):
    loaded = KinwellBackend().get_user(member.pk)
    assert loaded == member
    assert loaded.email == member.email
    assert loaded.date_joined == member.date_joined
    assert loaded.is_active is True
    assert loaded.get_session_auth_hash() == member.get_session_auth_hash()


def test_backend_refuses_inactive_unknown_and_malformed_ids(member):
    backend = KinwellBackend()
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert backend.get_user(member.pk) is None
    assert backend.get_user(999_999) is None
    assert backend.get_user("not-a-number") is None


def test_session_store_loads_a_live_session():
    store = SessionStore()
    store["kept"] = "yes"
    store.create()
    again = SessionStore(session_key=store.session_key)
    assert again["kept"] == "yes"


def test_expired_session_loads_empty_and_signs_out(member_client):
    assert member_client.get("/home/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    # With Redis (cached_db sessions) the cached copy expires by its own timeout, set to
    # the same age; clearing the cache stands in for that moment.
    from django.core.cache import cache

    cache.clear()
    response = member_client.get("/home/")
    assert response.status_code == 302
    assert "/account/sign-in/" in response["Location"]


def test_unknown_session_key_loads_empty():
    store = SessionStore(session_key="x" * 32)
    assert store.load() == {}
    assert store.session_key is None
