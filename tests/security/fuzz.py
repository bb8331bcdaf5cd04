"""Shared pieces of the bad-input fuzz tests: hostile values, the form fields of every
page, and a one-query fingerprint of the whole database (row counts of every table)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote_plus, urljoin, urlsplit

from django.db import connection
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

# Bounded and reproducible: CI sees the same examples every run.
FUZZ = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
    # No shrinking: a failure names its whole request already, and shrinking a slow web
    # request can take minutes.
    phases=(Phase.explicit, Phase.generate),
)

# The sockets and the command line are cheap to try: more examples there.
FUZZ_MORE = settings(FUZZ, max_examples=25)

HUGE = "A" * 100_000
HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202eevil\u202c \u200f\u05e9\u05dc\u05d5\u05dd",  # RTL override, Hebrew
    "😀" * 64 + "👩‍👩‍👧‍👦",
    "\ud800",  # lone surrogates: sent as invalid UTF-8 bytes
    "x\udfffy",
    "\ufeff\u200b\u2028\u2029",
    '<script>window.__pwned=1</script>"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% debug %}${7*7}",
    "' OR 1=1 --",
    "1; DROP TABLE accounts_user;--",
    "%00%ff../../etc/passwd",
    "-1",
    "0",
    "-0",
    "3.5",
    "1e309",
    "NaN",
    "-inf",
    "99999999999999999999999999",
    "-99999999999999999999999999",
    "[]",
    "{}",
    "null",
    "true",
    "None",
    "2024-02-30",
    "0000-00-00",
    "99999-12-31",
    "25:61",
    "on",
    "\r\n\r\n",
]
# Big values travel as short tokens, so a failing example prints readably; `expand`
# turns them into the real thing just before sending.
# (Non-ASCII is percent-encoded nine bytes a character: 100k "é" is enough of that.)
BIG = {"<HUGE>": HUGE, "<HUGE-é>": "é" * 100_000}


def expand(value: str) -> str:
    return BIG.get(value, value)


hostile_value = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.sampled_from(sorted(BIG)),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=40),
)
hostile_name = st.sampled_from(
    ["id", "pk", "user", "user_id", "author", "is_staff", "is_superuser", "__proto__", "a" * 300]
) | st.text(min_size=1, max_size=20)


def encode_form(pairs: list[tuple[str, str]]) -> bytes:
    """An application/x-www-form-urlencoded body; lone surrogates become the invalid UTF-8
    bytes a broken client would send (surrogatepass), so they can be sent at all."""
    return "&".join(
        quote_plus(name.encode("utf-8", "surrogatepass"))
        + "="
        + quote_plus(value.encode("utf-8", "surrogatepass"))
        for name, value in pairs
    ).encode("ascii")


# --- the fields of every form on a page ------------------------------------------------


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "fields": {},
            }
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or not a.get("name"):
            return
        name = a["name"]
        fields: dict[str, list[str]] = form["fields"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                if kind == "submit" and "value" in a:
                    fields.setdefault(name, []).append(a["value"])
                return
            if kind in ("checkbox", "radio"):
                fields.setdefault(name, []).append(a.get("value", "on"))
            else:
                fields.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select":
            self._select = name
            fields.setdefault(name, [])
        elif tag == "option" and self._select:
            fields[self._select].append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = name
            fields.setdefault(name, []).append("")
        elif tag == "button" and "value" in a:
            fields.setdefault(name, []).append(a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def post_forms(html: str, page_url: str) -> dict[str, dict[str, list[str]]]:
    """{action path: {field name: the values the page offers}} for every POST form."""
    parser = _FormParser()
    parser.feed(html)
    found: dict[str, dict[str, list[str]]] = {}
    for form in parser.forms:
        if form["method"] != "post":
            continue
        action = urlsplit(urljoin(page_url, form["action"] or page_url)).path
        merged = found.setdefault(action, {})
        for name, values in form["fields"].items():
            merged.setdefault(name, [])
            merged[name] += [v for v in values if v not in merged[name]]
    return found


# --- the database's fingerprint ---------------------------------------------------------

# Rows a refused request writes on purpose: django-axes records failed sign-ins (that is
# the throttle), sessions come and go with every sign-in page.
EXPECTED_WRITERS = re.compile(r"^(axes_|django_session$)")


def _tables() -> list[str]:
    return sorted(
        t
        for t in connection.introspection.django_table_names(only_existing=True)
        if not EXPECTED_WRITERS.match(t)
    )


# The access log records every reading of a member's words, and a form shown again with
# its errors is read again (a moderator's decision page shows the report): reads are not
# writes of the form's data. Every other audit row (changed, decided, ...) counts.
READ_AUDIT = "action NOT IN ('viewed', 'reviewed')"
WHERE = {"core_auditevent": READ_AUDIT}


def row_counts() -> dict[str, int]:
    """Rows in every table, in one query."""
    tables = _tables()
    qn = connection.ops.quote_name
    # Table names come from Django's own model registry and are quoted.
    counts = [
        f"(SELECT COUNT(*) FROM {qn(t)}" + (f" WHERE {WHERE[t]})" if t in WHERE else ")")  # noqa: S608
        for t in tables
    ]
    sql = "SELECT " + ", ".join(counts)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return dict(zip(tables, (int(n) for n in row), strict=True))


def counts_diff(before: dict[str, int], after: dict[str, int]) -> str:
    return ", ".join(f"{t}: {before[t]}->{after[t]}" for t in before if before[t] != after[t])


TRACEBACK_SIGNS = ("Traceback (most recent call last)", 'File "/', "Exception Value:")


def traceback_in(body: str) -> str | None:
    return next((sign for sign in TRACEBACK_SIGNS if sign in body), None)
