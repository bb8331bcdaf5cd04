"""Deployment hardening: Django's deploy checks, security headers on pages and error
pages, the session cookie, and where the secret key comes from.

KINWELL_SECURE=1 is how an operator says TLS terminates in front of Kinwell; settings are
read once from the environment, so the TLS-on cases run in a subprocess with that set.
"""

import ast
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path
from django.urls import reverse as url_for

import config.urls as site_urls
from kinwell.accounts.tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parents[2]
LONG_KEY = "k" + uuid.uuid4().hex + uuid.uuid4().hex  # 65 characters, many distinct
PRINT_SECRET_KEY = (
    "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
)
TLS_WARNINGS = {"security.W004", "security.W008", "security.W012", "security.W016"}


def _env(extra: dict[str, str]) -> dict[str, str]:
    drop = {
        "DATABASE_URL",
        "REDIS_URL",
        "KINWELL_ASGI",
        "KINWELL_TESTING",
        "KINWELL_SECURE",
        "KINWELL_DEBUG",
        "KINWELL_SECRET_KEY",
        "KINWELL_HSTS_SUBDOMAINS",
        "KINWELL_HSTS_PRELOAD",
        # The browser tests set this for Playwright's loop; a real deployment never has it.
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env.update(extra)
    return env


def kinwell(args: list[str], extra: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kinwell.cli", *args],
        cwd=ROOT,
        env=_env(extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def python(code: str, extra: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(extra),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def production(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "KINWELL_DATA_DIR": str(tmp_path),
        "KINWELL_DEBUG": "0",
        "KINWELL_SECRET_KEY": LONG_KEY,
        "KINWELL_ALLOWED_HOSTS": "kinwell.example.org",
        **extra,
    }


def warnings_of(result: subprocess.CompletedProcess) -> set[str]:
    return set(re.findall(r"\(([a-z_]+\.[WE]\d+)\)", result.stdout + result.stderr))


# --- Django's deployment checks -------------------------------------------------------------


def test_check_deploy_is_clean_behind_tls(tmp_path):
    result = kinwell(
        ["check", "--deploy", "--fail-level", "WARNING"],
        production(tmp_path, KINWELL_SECURE="1"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_without_tls_the_only_deploy_warnings_are_the_tls_ones(tmp_path):
    # Plain http on one machine (`make run`): secure cookies and HSTS would lock people
    # out, so exactly these four warnings remain, and nothing else.
    result = kinwell(["check", "--deploy"], production(tmp_path))
    assert result.returncode == 0, result.stderr
    assert warnings_of(result) == TLS_WARNINGS


def test_a_short_secret_key_fails_the_deploy_check(tmp_path):
    result = kinwell(
        ["check", "--deploy", "--fail-level", "WARNING"],
        production(tmp_path, KINWELL_SECURE="1", KINWELL_SECRET_KEY="short"),
    )
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_no_check_is_silenced(tmp_path):
    value = python(
        "import django; django.setup(); from django.conf import settings as s;"
        "print(repr(getattr(s, 'SILENCED_SYSTEM_CHECKS', [])))",
        production(tmp_path, KINWELL_SECURE="1"),
    )
    assert value.strip() == "[]"


@pytest.mark.parametrize("secure", ["0", "1"])
def test_tls_settings_follow_kinwell_secure(tmp_path, secure):
    on = secure == "1"
    code = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({n: getattr(s, n) for n in ["
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT',"
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD',"
        "'SECURE_PROXY_SSL_HEADER']}))"
    )
    got = json.loads(python(code, production(tmp_path, KINWELL_SECURE=secure)))
    assert got["SESSION_COOKIE_SECURE"] is on
    assert got["CSRF_COOKIE_SECURE"] is on
    assert got["SECURE_SSL_REDIRECT"] is on
    assert got["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is on
    assert got["SECURE_HSTS_PRELOAD"] is on
    if on:
        assert got["SECURE_HSTS_SECONDS"] >= 31536000
        assert got["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    else:
        assert got["SECURE_HSTS_SECONDS"] == 0
        assert got["SECURE_PROXY_SSL_HEADER"] is None


def test_hsts_subdomains_and_preload_can_be_turned_off(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)"
    )
    env = production(
        tmp_path, KINWELL_SECURE="1", KINWELL_HSTS_SUBDOMAINS="0", KINWELL_HSTS_PRELOAD="0"
    )
    assert python(code, env).split() == ["31536000", "False", "False"]


# --- Headers --------------------------------------------------------------------------------


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("an unexpected failure")


# The site's own URLs plus a view that fails, with the site's own error handlers.
urlpatterns = [path("test-boom/", _boom), path("", include("config.urls"))]
for _handler in ("handler400", "handler403", "handler404", "handler500"):
    if hasattr(site_urls, _handler):
        globals()[_handler] = getattr(site_urls, _handler)


def assert_security_headers(response: HttpResponse) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy


@pytest.mark.django_db
def test_pages_and_error_pages_carry_the_security_headers(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    page = client.get("/")
    assert page.status_code == 200
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    failure = client.get("/test-boom/")
    assert failure.status_code == 500
    forbidden = Client(enforce_csrf_checks=True).post(url_for("accounts:sign_in"), {})
    assert forbidden.status_code == 403
    for response in (page, missing, failure, forbidden):
        assert_security_headers(response)
        # Without TLS in front, HSTS would be a lie (and a lock-out once TLS goes away).
        assert "Strict-Transport-Security" not in response.headers
    assert "no-such-page" not in missing.content.decode()  # no debug page


@pytest.mark.django_db
def test_session_cookie_is_http_only_lax_and_expires(client):
    member = UserFactory()
    response = client.post(
        url_for("accounts:sign_in"), {"username": member.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # no TLS in tests: a secure cookie would never come back
    assert int(cookie["max-age"]) == 60 * 60 * 24 * 14


# Behind TLS (KINWELL_SECURE=1, nginx sets X-Forwarded-Proto): a real settings module in a
# subprocess, a migrated database, a real sign-in.
BEHIND_TLS = """
import json
import django
django.setup()
from django.core.management import call_command
from django.test import Client
import config.urls as site_urls
from kinwell.accounts.tests.factories import PASSWORD, UserFactory

call_command("migrate", verbosity=0)
member = UserFactory()
https = {"headers": {"X-Forwarded-Proto": "https"}}
client = Client(raise_request_exception=False)
out = {}
for name, method, url, extra in [
    ("page", "get", "/", https),
    ("missing", "get", "/no-such-page/", https),
    ("plain_http", "get", "/", {}),
    ("sign_in", "post", "/account/sign-in/", https),
]:
    data = {"username": member.email, "password": PASSWORD} if method == "post" else None
    response = getattr(client, method)(url, data, **extra)
    cookie = response.cookies.get("sessionid")
    out[name] = {
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookie": dict(cookie.items()) | {"value": bool(cookie.value)} if cookie else None,
    }
print(json.dumps(out))
"""


def test_behind_tls_hsts_secure_cookies_and_https_redirect(tmp_path):
    env = production(
        tmp_path,
        KINWELL_SECURE="1",
        KINWELL_ALLOWED_HOSTS="testserver",
        # Plain static storage: this process has not run collectstatic.
        KINWELL_TESTING="1",
    )
    seen = json.loads(python(BEHIND_TLS, env))
    for name in ("page", "missing", "sign_in"):
        headers = seen[name]["headers"]
        assert headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "Permissions-Policy" in headers
    assert seen["page"]["status"] == 200
    assert seen["missing"]["status"] == 404
    redirect = seen["plain_http"]
    assert redirect["status"] == 301
    assert redirect["headers"]["Location"].startswith("https://")
    signed_in = seen["sign_in"]
    assert signed_in["status"] == 302
    cookie = signed_in["cookie"]
    assert cookie["value"] is True
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 60 * 60 * 24 * 14


# --- Secrets ---------------------------------------------------------------------------------


def test_secret_key_is_never_a_literal_in_settings():
    tree = ast.parse((ROOT / "config" / "settings.py").read_text())
    assignments = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "SECRET_KEY" for t in node.targets)
    ]
    assert len(assignments) == 1
    value = assignments[0].value
    assert isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
    assert value.func.id == "_secret_key"
    # No credential-looking setting is given a string literal anywhere in settings.
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and re.search(r"SECRET|PASSWORD|TOKEN", target.id):
                    assert not isinstance(node.value.value, str) or not node.value.value, target.id


def test_no_code_carries_a_secret_key_literal():
    pattern = re.compile(r"""SECRET_KEY\s*=\s*["']|django-insecure""")
    offenders = []
    for folder in ("config", "kinwell"):
        for source in (ROOT / folder).rglob("*.py"):
            if "tests" in source.parts or "migrations" in source.parts:
                continue
            if pattern.search(source.read_text(encoding="utf-8")):
                offenders.append(str(source.relative_to(ROOT)))
    assert offenders == []


def test_secret_key_comes_from_the_environment_when_set(tmp_path):
    code = PRINT_SECRET_KEY
    got = python(code, {"KINWELL_DATA_DIR": str(tmp_path), "KINWELL_SECRET_KEY": LONG_KEY})
    assert got.strip() == LONG_KEY
    assert not (tmp_path / "secret_key").exists()  # nothing generated, nothing written


def test_secret_key_otherwise_comes_from_the_generated_file(tmp_path):
    code = PRINT_SECRET_KEY
    got = python(code, {"KINWELL_DATA_DIR": str(tmp_path)}).strip()
    assert got == (tmp_path / "secret_key").read_text().strip()
    other = tmp_path / "other"
    other.mkdir()
    # Every instance gets its own key; none is shipped with the code.
    assert python(code, {"KINWELL_DATA_DIR": str(other)}).strip() != got
