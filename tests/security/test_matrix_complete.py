"""The matrix covers every route the project serves, and says something sensible for each.

These run without the database: they read the URL resolver, the ASGI application and
tests/security/matrix.py only.
"""

from tests.security import discovery
from tests.security.matrix import (
    ADMIN_PREFIX,
    ADMIN_SPECIAL,
    ADMIN_STAFF_CONTROLS,
    ALLOW,
    ASGI_ENDPOINTS,
    DENY,
    LIMITED,
    MATRIX,
    NOOP,
    OUTCOMES,
    PUBLIC,
    WS_MATRIX,
)
from tests.security.world import ALL_ROLES, ANON, CORE_ROLES


def _app_routes() -> list[discovery.Route]:
    return [r for r in discovery.http_routes() if not r.pattern.startswith(ADMIN_PREFIX)]


def test_every_route_has_an_entry():
    missing = [
        f"new route {route.key} ({route.pattern} -> {route.view}) has no authorization "
        "entry in tests/security/matrix.py"
        for route in _app_routes()
        if route.key not in MATRIX
    ]
    assert not missing, "\n".join(missing)


def test_every_route_key_is_unique():
    keys = [route.key for route in _app_routes()]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    assert not twice, f"routes share a name, so the matrix cannot tell them apart: {twice}"


def test_no_entry_for_a_route_that_is_gone():
    served = {route.key for route in _app_routes()}
    stale = sorted(set(MATRIX) - served)
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


def test_every_admin_route_is_under_the_admin_rule():
    admin = [r for r in discovery.http_routes() if r.pattern.startswith(ADMIN_PREFIX)]
    assert admin, "the admin is mounted somewhere else now: update ADMIN_PREFIX"
    names = {r.key for r in admin}
    for key in (*ADMIN_SPECIAL, *ADMIN_STAFF_CONTROLS):
        assert key in names, f"{key} is named in matrix.py but the admin no longer has it"
    assert not [r.key for r in admin if r.key in MATRIX], "admin routes belong to the admin rule"


def test_every_case_decides_every_core_role():
    for route, entry in MATRIX.items():
        assert entry.cases, f"{route}: no cases"
        for case in entry.cases:
            name = f"{route}/{case.label}" if case.label else route
            missing = set(CORE_ROLES) - set(case.expect)
            assert not missing, f"{name}: no outcome for {sorted(missing)}"
            unknown = set(case.expect) - set(ALL_ROLES)
            assert not unknown, f"{name}: unknown roles {sorted(unknown)}"
            bad = {r: o for r, o in case.expect.items() if o not in OUTCOMES}
            assert not bad, f"{name}: unknown outcomes {bad}"
            assert set(case.methods) <= {"GET", "POST"} and case.methods, name
            if NOOP in case.expect.values():
                assert case.why, f"{name}: a NOOP needs a reason (why=...)"
            for role in (*case.shows, *case.hides):
                assert case.expect.get(role) == ALLOW, f"{name}: shows/hides only for ALLOW roles"


def test_anonymous_reaches_only_the_listed_public_routes():
    opened = {
        route
        for route, entry in MATRIX.items()
        for case in entry.cases
        if case.expect[ANON] != DENY
    }
    assert opened - PUBLIC == set(), (
        f"open to anonymous but not listed in PUBLIC: {opened - PUBLIC}"
    )
    listed = {key for key in PUBLIC if key in MATRIX}
    assert listed - opened == set(), f"listed as public but refused: {listed - opened}"
    assert PUBLIC - set(MATRIX) <= set(ADMIN_SPECIAL), "PUBLIC names an unknown route"


def test_each_route_lets_its_rightful_role_in():
    """A matrix where everyone is refused would pass whatever the views do: each route
    names at least one role it lets in, so the fixtures are proven right by a 2xx/3xx."""
    for route, entry in MATRIX.items():
        outcomes = {o for case in entry.cases for o in case.expect.values()}
        assert outcomes & {ALLOW, LIMITED}, f"{route}: nobody is let in; no positive control"


def test_each_app_has_a_positive_control_on_a_get():
    apps = {route.split(":")[0] for route in MATRIX}
    for app in apps:
        controls = [
            route
            for route, entry in MATRIX.items()
            if route.startswith(f"{app}:")
            for case in entry.cases
            if "GET" in case.methods and ALLOW in case.expect.values()
        ]
        assert controls, f"{app}: no route where a rightful role must get 200 on GET"


def test_every_websocket_route_has_an_entry():
    served = {route.key: route for route in discovery.websocket_routes()}
    missing = [
        f"new WebSocket route {key} ({route.view}) has no authorization entry in "
        "tests/security/matrix.py (WS_MATRIX)"
        for key, route in served.items()
        if key not in WS_MATRIX
    ]
    assert not missing, "\n".join(missing)
    assert not set(WS_MATRIX) - set(served), f"stale: {set(WS_MATRIX) - set(served)}"
    for key, entry in WS_MATRIX.items():
        assert set(CORE_ROLES) <= set(entry["expect"]), key
        assert set(entry["expect"].values()) <= {ALLOW, DENY}, key


def test_the_asgi_application_serves_nothing_unlisted():
    from channels.routing import ProtocolTypeRouter

    app = discovery.asgi_application()
    chain = discovery.asgi_wrappers(app)
    endpoints = [w for w in chain if w not in discovery.PASSTHROUGH]
    assert sorted(endpoints) == sorted(ASGI_ENDPOINTS), (
        f"ASGI wrappers that answer requests themselves: {endpoints}; each needs an entry "
        "in ASGI_ENDPOINTS and a test in test_asgi.py"
    )
    node = app
    for _ in chain:
        node = getattr(node, discovery.KNOWN_WRAPPERS[discovery.qualname(node)])
    assert isinstance(node, ProtocolTypeRouter)
    assert set(node.application_mapping) == {"http", "websocket"}, node.application_mapping
    # Pages go straight to Django (its URLconf is walked above), with nothing in between.
    from django.core.handlers.asgi import ASGIHandler

    assert isinstance(node.application_mapping["http"], ASGIHandler)
