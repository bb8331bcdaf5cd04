"""Every /admin/ route is for staff only: anonymous visitors are sent to sign in, and
signed-in members, facilitators, clinicians and moderators (none of them staff) end on a
refusal, whatever the route (tests/security/matrix.py, "the admin")."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from tests.security import discovery
from tests.security.matrix import ADMIN_PREFIX, ADMIN_ROLES, ADMIN_SPECIAL, ADMIN_STAFF_CONTROLS
from tests.security.world import ANON, MARKERS, STAFF, World

pytestmark = pytest.mark.django_db

ADMIN_ROUTES = [r for r in discovery.http_routes() if r.pattern.startswith(ADMIN_PREFIX)]
WRITES = ("_add", "_change", "_delete", "password_change", "_password", "logout")


def _object_id(world: World, key: str) -> Any:
    """An existing row of the route's model, the owner's where there is one."""
    match = re.match(r"admin:(\w+?)_(\w+)_(?:change|delete|history)$", key)
    if match is None:
        return world.owner.pk
    model = next(
        (m for m in apps.get_models()
         if f"{m._meta.app_label}_{m._meta.model_name}" == f"{match[1]}_{match[2]}"),
        None,
    )  # fmt: skip
    if model is None:
        return world.owner.pk
    for field in ("user", "member", "author", "subject"):
        if any(f.name == field for f in model._meta.fields):
            row = model._default_manager.filter(**{field: world.owner}).first()
            if row is not None:
                return row.pk
    row = model._default_manager.first()
    return row.pk if row is not None else 1


def _url(world: World, route: discovery.Route) -> str:
    if "(?P<url>" in route.pattern:
        return f"/{ADMIN_PREFIX}no-such-page/"
    if route.key == "admin:app_list":
        return reverse(route.key, kwargs={"app_label": "accounts"})
    values: dict[str, Any] = {
        "object_id": _object_id(world, route.key),
        "id": world.owner.pk,
        "pk": 1,
        "content_type_id": ContentType.objects.get_for_model(world.owner).pk,
    }
    names = re.findall(r"<(?:\w+:)?(\w+)>", route.pattern)
    if route.key.startswith("admin:"):
        return reverse(route.key, kwargs={name: values[name] for name in names})
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[str(m.group(1))]), route.pattern)


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=[r.key for r in ADMIN_ROUTES])
def test_admin_route_is_for_staff_only(world, route):
    url = _url(world, route)
    sign_in = reverse("accounts:sign_in")
    methods = ["GET", "POST"] if any(w in route.key for w in WRITES) else ["GET"]
    problems = []
    for role in ADMIN_ROLES:
        for method in methods:
            client = world.client(role)
            send = client.get if method == "GET" else client.post
            response = send(url, follow=True)
            final = response.status_code
            body = response.content.decode(errors="replace")
            where = f"{method} {url} as {role}"
            if any(m in body for m in MARKERS):
                problems.append(f"{where}: shows the owner's private text")
            if role == ANON:
                path = response.request["PATH_INFO"]
                if not (path == sign_in or final in (401, 403, 404)):
                    problems.append(f"{where}: ended on {path} ({final}), not sign-in")
            elif final not in (403, 404):
                chain = " -> ".join(u for u, _ in response.redirect_chain)
                problems.append(f"{where}: ended with {final} after {chain or 'no redirect'}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("key", ADMIN_STAFF_CONTROLS)
def test_staff_get_in(world, key):
    """Positive control: the admin works for staff, so the refusals above mean something."""
    route = next(r for r in ADMIN_ROUTES if r.key == key)
    response = world.client(STAFF).get(_url(world, route))
    assert response.status_code == 200, f"{key}: staff got {response.status_code}"


def test_the_special_admin_routes_still_refuse_non_staff(world):
    """admin:login and admin:logout are not behind the admin's own guard (ADMIN_SPECIAL);
    the test above covers them too, this only keeps the list honest."""
    for key in ADMIN_SPECIAL:
        assert any(r.key == key for r in ADMIN_ROUTES), key
    staff = world.client(STAFF).get(reverse("admin:login"))
    assert staff.status_code == 302 and staff["Location"] == reverse("admin:index")
