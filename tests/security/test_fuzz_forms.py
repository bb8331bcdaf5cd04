"""Bad input to every form: each route of the matrix that takes POST, as its rightful role,
gets hypothesis-made bodies built from the form's real field names with hostile values
(empty, 100k characters, RTL, emoji, NUL, lone surrogates, markup, SQL-ish, numbers out of
range, wrong types), fields left out, fields twice and fields it never asked for.

Never a server error, never a traceback in the page, and a form error (a 200 re-render
with errors, or a 4xx) writes nothing: every table has as many rows as before. Then CSRF:
without a token every POST route is refused with 403 and writes nothing; with one it is
taken."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import transaction
from django.forms import BaseForm, BaseFormSet
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.security.fuzz import (
    FUZZ,
    counts_diff,
    encode_form,
    expand,
    hostile_name,
    hostile_value,
    post_forms,
    row_counts,
    traceback_in,
)
from tests.security.matrix import ALLOW, LIMITED, MATRIX, NOOP, PUBLIC, Case
from tests.security.world import ALL_ROLES, ANON, OWNER, World

pytestmark = pytest.mark.django_db


def _rightful(route: str, case: Case) -> str:
    """The role the route is for: an ALLOW role (the owner first), else anonymous for the
    public pages (sign-in, sign-up, reset), else someone it is open to (LIMITED: acting on
    their own account), else the owner, whom it answers politely (NOOP)."""
    for outcome in (ALLOW, LIMITED, NOOP):
        if outcome == LIMITED and route in PUBLIC and case.expect.get(ANON) == LIMITED:
            return ANON
        found = [r for r in ALL_ROLES if r != ANON and case.expect.get(r) == outcome]
        if found:
            return OWNER if OWNER in found else found[0]
    raise AssertionError(f"{route}: no role may post here")


def _post_cases() -> list[Any]:
    params = []
    for route, entry in MATRIX.items():
        for index, case in enumerate(entry.cases):
            if "POST" in case.methods:
                role = _rightful(route, case)
                name = route + (f"/{case.label}" if case.label else "")
                params.append(pytest.param(route, index, role, id=f"{name}-{role}"))
    return params


POST_CASES = _post_cases()

# {(world id, role): {action path: {field: offered values}}}, gathered once per module by
# opening every page the role may open.
_FORMS: dict[tuple[int, str], dict[str, dict[str, list[str]]]] = {}


def _forms_for(world: World, role: str) -> dict[str, dict[str, list[str]]]:
    key = (id(world), role)
    if key in _FORMS:
        return _FORMS[key]
    found: dict[str, dict[str, list[str]]] = {}
    with transaction.atomic():
        for route, entry in MATRIX.items():
            for case in entry.cases:
                if "GET" not in case.methods or case.expect.get(role) not in (ALLOW, LIMITED):
                    continue
                url = reverse(route, kwargs=case.kwargs(world))
                response = world.client(role).get(url, headers=dict(case.headers))
                if response.status_code != 200 or getattr(response, "streaming", False):
                    continue
                if "html" not in response.get("Content-Type", ""):
                    continue
                for action, fields in post_forms(response.content.decode(), url).items():
                    merged = found.setdefault(action, {})
                    for name, values in fields.items():
                        merged.setdefault(name, [])
                        merged[name] += [v for v in values if v not in merged[name]]
        transaction.set_rollback(True)
    _FORMS[key] = found
    return found


def _baseline(world: World, url: str, case: Case, role: str) -> dict[str, list[str]]:
    """The form's field names with a plausible value each: what the page offers, overlaid
    with the matrix's own valid data for the route."""
    fields = {
        name: values[:1] or [""]
        for name, values in _forms_for(world, role).get(url, {}).items()
        if name != "csrfmiddlewaretoken"
    }
    for name, value in case.data(world).items():
        fields[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return fields


def _form_errors(response: Any) -> bool:
    """A re-render of a bound form that has errors (the form error a 200 carries)."""
    for context in response.context or []:
        for layer in getattr(context, "dicts", [context]):
            if not isinstance(layer, dict):
                continue
            for value in layer.values():
                if isinstance(value, BaseForm) and value.is_bound and value.errors:
                    return True
                if isinstance(value, BaseFormSet) and value.is_bound and not value.is_valid():
                    return True
    return False


# What to do with each field of the form.
field_plan: st.SearchStrategy[tuple[str, list[str]]] = st.one_of(
    st.just(("keep", [])),
    st.just(("drop", [])),
    st.tuples(st.just("hostile"), st.lists(hostile_value, min_size=1, max_size=1)),
    st.tuples(st.just("twice"), st.lists(hostile_value, min_size=2, max_size=2)),
)


def _body(draw: Any, baseline: dict[str, list[str]]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, values in baseline.items():
        action, hostile = draw(field_plan)
        if action == "keep":
            pairs += [(name, v) for v in values]
        elif action in ("hostile", "twice"):
            pairs += [(name, v) for v in hostile]
    pairs += draw(st.lists(st.tuples(hostile_name, hostile_value), max_size=2))
    return pairs


@pytest.mark.parametrize(("route", "index", "role"), POST_CASES)
def test_form_survives_bad_input(world, route, index, role):
    case = MATRIX[route].cases[index]
    url = reverse(route, kwargs=case.kwargs(world))
    baseline = _baseline(world, url, case, role)
    headers = dict(case.headers)
    if "GET" in case.methods:
        # As a person would: open the form first (some pages start state on GET, such as
        # the pending authenticator of two-step setup), then post it again and again.
        assert world.client(role).get(url, headers=headers).status_code < 500

    def check(pairs: list[tuple[str, str]]) -> None:
        cache.clear()  # rate limits are per test, not per example
        with transaction.atomic():
            before = row_counts()
            response = world.client(role).post(
                url,
                data=encode_form([(name, expand(value)) for name, value in pairs]),
                content_type="application/x-www-form-urlencoded",
                headers=headers,
            )
            where = f"POST {url} as {role} with {[(n[:40], v[:40]) for n, v in pairs]}"
            status = response.status_code
            assert status < 500, f"{where}: server error {status}"
            if not getattr(response, "streaming", False):
                body = response.content.decode(errors="replace")
                assert traceback_in(body) is None, f"{where}: a traceback in the page"
            if status >= 400 or (status == 200 and _form_errors(response)):
                after = row_counts()
                assert after == before, (
                    f"{where}: form error, yet wrote {counts_diff(before, after)}"
                )
            transaction.set_rollback(True)

    # The same few everywhere first: every field NUL (PostgreSQL refuses it), a lone
    # surrogate (invalid UTF-8 on the wire), 100k characters, and nothing at all.
    for value in ("a\x00b", "\ud800", "<HUGE>"):
        check([(name, value) for name in baseline])
    check([])

    @FUZZ
    @given(data=st.data())
    def fuzz(data: Any) -> None:
        check(_body(data.draw, baseline))

    fuzz()


# --- CSRF ----------------------------------------------------------------------------------


@pytest.fixture
def csrf_client(world) -> Any:
    def make(role: str) -> Client:
        client = Client(enforce_csrf_checks=True)
        if role != ANON:
            client.cookies[django_settings.SESSION_COOKIE_NAME] = world.sessions[role]
        return client

    return make


def _token(client: Client) -> str:
    """A valid CSRF token for this client, as a page would hand it out: the same secret
    in the cookie and the form (Django takes an unmasked secret as well as a masked one)."""
    import string

    from django.utils.crypto import get_random_string

    secret = get_random_string(32, allowed_chars=string.ascii_letters + string.digits)
    client.cookies[django_settings.CSRF_COOKIE_NAME] = secret
    return secret


@pytest.mark.parametrize(("route", "index", "role"), POST_CASES)
def test_post_without_csrf_token_is_refused_and_with_one_accepted(
    world, csrf_client, route, index, role
):
    case = MATRIX[route].cases[index]
    url = reverse(route, kwargs=case.kwargs(world))
    data = case.data(world)
    headers = dict(case.headers)
    with transaction.atomic():
        before = row_counts()
        refused = csrf_client(role).post(url, data=data, headers=headers)
        assert refused.status_code == 403 and _csrf_refusal(refused), (
            f"POST {url} without a token: {refused.status_code}, not a CSRF refusal"
        )
        after = row_counts()
        assert after == before, f"POST {url} without a token wrote {counts_diff(before, after)}"
        transaction.set_rollback(True)
    with transaction.atomic():
        client = csrf_client(role)
        token = _token(client)
        taken = client.post(url, data={**data, "csrfmiddlewaretoken": token}, headers=headers)
        assert taken.status_code < 500
        assert not _csrf_refusal(taken), f"POST {url} with a valid token was refused as CSRF"
        transaction.set_rollback(True)


def _csrf_refusal(response: Any) -> bool:
    return response.status_code == 403 and b"CSRF verification failed" in response.content
