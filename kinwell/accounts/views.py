import base64
import io
import time
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from kinwell.accounts import services
from kinwell.accounts.forms import (
    CodeForm,
    PasswordConfirmForm,
    ProfileForm,
    ResearchConsentForm,
    SignInForm,
    SignUpForm,
)
from kinwell.accounts.models import User
from kinwell.core import privacy
from kinwell.core.export import member_export_json
from kinwell.core.forms import apply_validation_error
from kinwell.core.selectors import security_events_for

PENDING_KEY = "kinwell_2fa_pending"
PENDING_SECONDS = 300
MAX_CODE_TRIES = 5


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path only: redirect() would take anything else for a URL name (500).
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("core:home")


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_sign_up(
                display_name=data["display_name"],
                email=data["email"],
                password=data["password1"],
                adult_confirmed=data["adult"],
                research_consent=data["research"],
                country=data["country"],
                time_zone=data["time_zone"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            login(request, user, backend="kinwell.accounts.backends.KinwellBackend")
            services.user_signed_in(request=request, user=user)
            messages.success(request, f"Welcome, {user.display_name}. We are glad you are here.")
            return redirect("core:home")
    return render(request, "accounts/sign_up.html", {"form": form})


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    form = SignInForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        backend = getattr(user, "backend", "kinwell.accounts.backends.KinwellBackend")
        if services.two_factor_enabled(user):
            request.session[PENDING_KEY] = {
                "user": user.pk,
                "backend": backend,
                "since": time.time(),
                "tries": 0,
                "next": _safe_next(request),
            }
            return redirect("accounts:sign_in_verify")
        login(request, user, backend=backend)
        services.user_signed_in(request=request, user=user)
        return redirect(_safe_next(request))
    return render(
        request, "accounts/sign_in.html", {"form": form, "next": request.GET.get("next", "")}
    )


@require_http_methods(["GET", "POST"])
def sign_in_verify(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["since"] > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, "Please sign in again: the code step timed out after 5 minutes.")
        return redirect("accounts:sign_in")
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("accounts:sign_in")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.two_factor_verify(user=user, token=form.cleaned_data["code"]):
            target = pending["next"]
            request.session.pop(PENDING_KEY, None)
            login(request, user, backend=pending["backend"])
            services.user_signed_in(request=request, user=user)
            return redirect(target)
        pending["tries"] += 1
        request.session[PENDING_KEY] = pending
        if pending["tries"] >= MAX_CODE_TRIES:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, "Too many wrong codes. Please sign in again.")
            return redirect("accounts:sign_in")
        wait = services.two_factor_wait_seconds(user=user)
        form.add_error(
            "code",
            "That code did not match. Codes change every 30 seconds: try the newest one, "
            "or a recovery code."
            + (
                f" To keep your account safe, please wait {wait} second{'s' if wait != 1 else ''}"
                " first."
                if wait
                else ""
            ),
        )
    return render(request, "accounts/sign_in_verify.html", {"form": form})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You are signed out. Take care.")
    return redirect("core:landing")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=user.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_profile(actor=user, user=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        services.security_event(
            user=user,
            what="password changed",
            title="Your password was changed",
            body="If this was not you, reset your password now and turn on two-step sign-in.",
        )
        messages.success(request, "Your password is changed. Other devices are signed out.")
        return redirect("accounts:security")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def security(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(
        request,
        "accounts/security.html",
        {
            "two_factor": services.two_factor_enabled(user),
            "codes_left": services.recovery_codes_left(user=user),
            "security_events": security_events_for(user=user),
        },
    )


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return base64.b64encode(buffer.getvalue()).decode()


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if services.two_factor_enabled(user) and request.method == "GET":
        return redirect("accounts:security")
    form = CodeForm(request.POST or None)
    device = services.totp_pending(user=user)
    if request.method == "POST" and device is not None and form.is_valid():
        try:
            codes = services.totp_confirm(user=user, token=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc.messages)
        else:
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "new": True})
    if device is None or request.method == "GET":
        device = services.totp_begin(user=user)
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg_b64": _qr_svg(device.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PasswordConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.two_factor_disable(user=user, password=form.cleaned_data["password"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Two-step sign-in is off.")
            return redirect("accounts:security")
    return render(request, "accounts/two_factor_disable.html", {"form": form})


@login_required
@require_POST
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not services.two_factor_enabled(user):
        messages.error(request, "Turn on two-step sign-in first.")
        return redirect("accounts:security")
    codes = services.recovery_codes_regenerate(user=user)
    services.security_event(
        user=user,
        what="new recovery codes made",
        title="You made new recovery codes",
        body="The old ones no longer work. If this was not you, change your password now.",
    )
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "new": False})


@login_required
@require_POST
def consent_research(request: HttpRequest) -> HttpResponse:
    form = ResearchConsentForm(request.POST)
    form.is_valid()
    granted = bool(form.cleaned_data.get("research"))
    services.consent_set(user=request.user, purpose="research", granted=granted)  # type: ignore[arg-type]
    messages.success(
        request,
        "Thank you: your numbers may be counted anonymously."
        if granted
        else "Done: your numbers are left out of research summaries.",
    )
    return redirect("core:privacy")


@login_required
def export(request: HttpRequest) -> HttpResponse:
    payload = member_export_json(user=request.user)
    stamp = timezone.now().strftime("%Y%m%d")
    response = HttpResponse(payload, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kinwell-my-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponseBase:
    user: User = request.user  # type: ignore[assignment]
    form = PasswordConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_delete(user=user, password=form.cleaned_data["password"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            logout(request)
            return redirect("accounts:deleted")
    counts = []
    for category in privacy.categories():
        if category.kept_on_delete:
            continue
        n = category.model._default_manager.filter(**{category.owner: user.pk}).count()
        if n:
            counts.append((category.title, n))
    return render(request, "accounts/delete.html", {"form": form, "counts": counts})


def deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/deleted.html")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.security_event(
            user=form.user,
            what="password reset by email link",
            title="Your password was reset",
            body="It was reset with a link sent to your email. If this was not you, reset it "
            "again now and turn on two-step sign-in.",
        )
        return response
