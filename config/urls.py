from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path, reverse


def _admin_login(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    if request.user.is_authenticated:
        # Already signed in: the sign-in page would send them straight back here, round
        # and round. Staff go to the admin; anyone else is told no.
        if admin.site.has_permission(request):
            return redirect("admin:index")
        raise PermissionDenied("The administration is for staff only.")
    # One sign-in page for everyone, so staff go through the same throttling and two-step check.
    return redirect_to_login(request.get_full_path(), reverse("accounts:sign_in"))


admin.site.login = _admin_login  # type: ignore[method-assign]
admin.site.site_header = "Kinwell administration"

# 503 with Retry-After when the database or Redis is down, else the plain 500 page.
handler500 = "kinwell.core.errors.server_error"

urlpatterns = [
    path("", include("kinwell.core.urls")),
    path("account/", include("kinwell.accounts.urls")),
    path("", include("kinwell.safety.urls")),
    path("checkin/", include("kinwell.checkins.urls")),
    path("", include("kinwell.assessments.urls")),
    path("map/", include("kinwell.network.urls")),
    path("circles/", include("kinwell.circles.urls")),
    path("coach/", include("kinwell.coach.urls")),
    path("programs/", include("kinwell.programs.urls")),
    path("care/", include("kinwell.care.urls")),
    path("admin/", admin.site.urls),
]
