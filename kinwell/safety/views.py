from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kinwell.safety.crisis_lines import crisis_lines


def _country_from_request(request: HttpRequest) -> str:
    chosen = request.GET.get("country", "").strip().upper()
    if chosen:
        return chosen
    user = request.user
    country = str(getattr(user, "country", "") or "")
    if user.is_authenticated and country:
        return country
    # A visitor who is not signed in: guess from the browser's language region
    # (en-GB -> GB); the picker is always there to correct it.
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip()
        if "-" in tag:
            return tag.split("-")[-1].upper()
    return ""


def help_now(request: HttpRequest) -> HttpResponse:
    lines = crisis_lines()
    code = _country_from_request(request)
    country = lines.for_country(code)
    unknown = bool(request.GET.get("country")) and country is None
    return render(
        request,
        "safety/help.html",
        {
            "country": country,
            "international": lines.international,
            "choices": lines.choices(),
            "selected": country.code if country else "",
            "unknown": unknown,
            "reviewed": lines.reviewed,
        },
    )
