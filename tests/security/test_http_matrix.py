"""Every HTTP route x method x role, as the matrix says (tests/security/matrix.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.security.matrix import ALLOW, DENY, LIMITED, MATRIX, NOOP, Case
from tests.security.world import ANON, MARKERS, World, fingerprint, fingerprint_diff

pytestmark = pytest.mark.django_db


def _params() -> list[Any]:
    params = []
    for route, entry in MATRIX.items():
        for index, case in enumerate(entry.cases):
            for method in case.methods:
                for role in case.expect:
                    name = route + (f"/{case.label}" if case.label else "")
                    params.append(
                        pytest.param(route, index, method, role, id=f"{name}-{method}-{role}")
                    )
    return params


def _login_url() -> str:
    return reverse(settings.LOGIN_URL)


def _request(world: World, route: str, case: Case, method: str, role: str) -> Any:
    url = reverse(route, kwargs=case.kwargs(world))
    client = world.client(role)
    headers = dict(case.headers)
    if method == "GET":
        return url, client.get(url, headers=headers)
    return url, client.post(url, data=case.data(world), headers=headers)


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.mark.parametrize(("route", "index", "method", "role"), _params())
def test_route(world, route, index, method, role):
    case = MATRIX[route].cases[index]
    outcome = case.expect[role]
    with CaptureQueriesContext(connection) as queries:
        url, response = _request(world, route, case, method, role)
    status = response.status_code
    body = _body(response)
    where = f"{method} {url} as {role} (expected {outcome})"
    assert status < 500, f"{where}: server error {status}"

    leaked = [m for m in MARKERS if m in body]
    if outcome == ALLOW:
        if method == "GET":
            assert status in case.ok, f"{where}: got {status}, wanted {case.ok}"
        else:
            assert status < 400, f"{where}: got {status}"
        if role in case.shows and method == "GET":
            assert case.shows[role] in body, (
                f"{where}: the rightful role should see {case.shows[role]!r}; "
                "the fixture world or the view is wrong"
            )
        hidden = [m for m in case.hides.get(role, ()) if m in body]
        assert not hidden, f"{where}: shows the owner's {hidden} text it must not"
    else:
        assert not leaked, f"{where}: the owner's private text ({leaked}) is in the response"
        if outcome == DENY:
            if role == ANON and status == 302:
                assert response["Location"].startswith(_login_url()), (
                    f"{where}: anonymous was redirected to {response['Location']}, not to sign in"
                )
            elif role == ANON:
                assert status in (401, 403, 404), f"{where}: got {status}"
            else:
                assert status in (403, 404), f"{where}: got {status}"
        elif outcome == NOOP:
            assert status in (302, 303, 400, 403, 404), f"{where}: got {status}"
            assert case.why, f"{route}: a NOOP needs a reason in the matrix"
        else:
            assert outcome == LIMITED
    if outcome != ALLOW and any(_writes(q["sql"]) for q in queries.captured_queries):
        # Something was written: it must not be anything of the owner's. (Every test
        # starts from the world as built: the previous test's writes were rolled back.)
        after = fingerprint(world)
        assert after == world.baseline, (
            f"{where}: changed the owner's {fingerprint_diff(world.baseline, after)}"
        )


def _writes(sql: str) -> bool:
    return sql.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}
