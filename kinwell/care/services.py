"""Writes for the clinician bridge. The member is always the one who decides."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kinwell.accounts.roles import has_role
from kinwell.care.models import CareLink, SharedCheckIn
from kinwell.core.services import audit_record, notification_send

User = get_user_model()


@transaction.atomic
def care_link_create(*, member: Any, clinician_email: str) -> CareLink:
    email = (clinician_email or "").strip()
    clinician = User.objects.filter(email__iexact=email, is_active=True).first()
    if clinician is None or not has_role(clinician, "clinician"):
        raise ValidationError(
            {"email": "We could not find a clinician with that email on Kinwell. Ask them for "
             "the email they use here."}
        )  # fmt: skip
    if clinician.pk == member.pk:
        raise ValidationError({"email": "You cannot link yourself."})
    if CareLink.objects.filter(member=member, clinician=clinician, active=True).exists():
        raise ValidationError({"email": "You are already linked with this clinician."})
    link = CareLink.objects.create(member=member, clinician=clinician)
    notification_send(
        user=clinician,
        title=f"{member.display_name} linked you as their clinician",
        body="You will see what they choose to share with you.",
        url="/care/",
    )
    return link


@transaction.atomic
def care_link_end(*, member: Any, link_id: int) -> None:
    updated = CareLink.objects.filter(pk=link_id, member=member, active=True).update(
        active=False, ended_at=timezone.now()
    )
    if not updated:
        raise ValidationError("That link has already ended.")


def has_clinician(member: Any) -> bool:
    return CareLink.objects.filter(member=member, active=True).exists()


@transaction.atomic
def checkin_clinician_share_set(
    *, user: Any, checkin: Any, share: bool, include_note: bool
) -> None:
    if checkin.user_id != user.pk:
        raise PermissionDenied("You can only share your own check-ins.")
    if not share:
        SharedCheckIn.objects.filter(checkin=checkin).delete()
        return
    if not has_clinician(user):
        raise ValidationError({"share_clinician": "Link your clinician first (Care team)."})
    SharedCheckIn.objects.update_or_create(checkin=checkin, defaults={"include_note": include_note})


def client_checkins_for(*, clinician: Any, member_id: int) -> tuple[Any, list[Any]]:
    """What a linked clinician may see of one member: shared check-ins only. Each look is
    written to the member's access log. Anyone else gets PermissionDenied."""
    from kinwell.checkins.models import CheckIn

    link = (
        CareLink.objects.select_related("member")
        .filter(clinician=clinician, member_id=member_id, active=True)
        .first()
    )
    if link is None or not has_role(clinician, "clinician"):
        raise PermissionDenied("This member has not linked you.")
    rows = list(
        CheckIn.objects.filter(user_id=member_id, clinician_share__isnull=False)
        .select_related("clinician_share")
        .order_by("-day")[:90]
    )
    audit_record(
        actor=clinician,
        subject=link.member,
        action="viewed",
        target=f"{len(rows)} shared check-ins (care team)",
    )
    return link.member, rows
