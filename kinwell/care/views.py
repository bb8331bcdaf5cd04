from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from kinwell.accounts.roles import has_role
from kinwell.care import services
from kinwell.care.models import CareLink
from kinwell.core.forms import apply_validation_error


class LinkForm(forms.Form):
    email = forms.EmailField(
        label="Your clinician's email on Kinwell",
        help_text="They will see only the check-ins you choose to share, and you can end this "
        "at any time.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    form = LinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.care_link_create(
                member=request.user, clinician_email=form.cleaned_data["email"]
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Linked. Share a check-in with them from the check-in page.")
            return redirect("care:index")
    clients = []
    if has_role(request.user, "clinician"):
        clients = list(
            CareLink.objects.filter(clinician_id=request.user.pk or 0, active=True).select_related(
                "member"
            )
        )
    return render(
        request,
        "care/index.html",
        {
            "form": form,
            "links": CareLink.objects.filter(
                member_id=request.user.pk or 0, active=True
            ).select_related("clinician"),
            "clients": clients,
        },
    )


@login_required
@require_POST
def end(request: HttpRequest, link_id: int) -> HttpResponse:
    try:
        services.care_link_end(member=request.user, link_id=link_id)
    except ValidationError as exc:
        messages.info(request, exc.messages[0])
    else:
        messages.success(request, "Ended. They no longer see anything you shared.")
    return redirect("care:index")


@login_required
def client(request: HttpRequest, member_id: int) -> HttpResponse:
    try:
        member, checkins = services.client_checkins_for(clinician=request.user, member_id=member_id)
    except PermissionDenied:
        raise Http404 from None
    return render(request, "care/client.html", {"member": member, "checkins": checkins})


@login_required
@require_POST
def stop_checkin(request: HttpRequest, checkin_id: int) -> HttpResponse:
    from kinwell.checkins.models import CheckIn

    checkin = CheckIn.objects.filter(pk=checkin_id, user_id=request.user.pk or 0).first()
    if checkin is None:
        raise Http404
    services.checkin_clinician_share_set(
        user=request.user, checkin=checkin, share=False, include_note=False
    )
    messages.success(request, "Stopped sharing that check-in with your clinician.")
    return redirect("checkins:history")
