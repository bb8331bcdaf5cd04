"""The error page for "a service behind Kinwell is down", instead of a bare 500.

Django hands every uncaught exception to `handler500`, wherever it was raised: in a
view, or in a middleware (sessions and authentication reach the database before any
view runs, so a middleware could not catch these itself). When the exception, or one it
was raised from, says the database or Redis could not be used (a restart, a full disk,
a dropped connection), nothing is wrong with the request and it will work again shortly:
the answer is 503 with Retry-After, a page that says so, and the traceback in the log
for the operator. Everything else keeps the ordinary 500 page.

Both pages are rendered from their template alone: no context processors, so no session,
no database and no cache are touched while one of them is down. The 503 page lists the
international crisis-line directories (read from a file), because the Get help now page
needs the member's session to pick their country.
"""

import sys
from collections.abc import Sequence

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader

RETRY_AFTER_SECONDS = 30


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # Redis is optional
        return errors
    return (*errors, RedisConnectionError, RedisTimeoutError)


UNAVAILABLE_ERRORS = _unavailable_errors()


def is_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from, means a backing service is down."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, UNAVAILABLE_ERRORS):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def unavailable_response() -> HttpResponse:
    from kinwell.safety.crisis_lines import crisis_lines

    try:
        directories: Sequence[object] = crisis_lines().international.lines
    except Exception:  # the page must render whatever else is wrong
        directories = ()
    html = loader.render_to_string("503.html", {"directories": directories})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: 503 when a backing service is down, else Django's plain 500 page."""
    if is_unavailable(sys.exception()):
        return unavailable_response()
    return HttpResponseServerError(loader.render_to_string("500.html"))
