from django.conf import settings
from django.db import models


class CareLink(models.Model):
    """A member's consent for one clinician to see what the member shares with them.

    Only the member creates or ends it; ending it hides everything at once.
    """

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_links"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_clients"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "clinician"],
                condition=models.Q(active=True),
                name="one_active_care_link",
            ),
            models.CheckConstraint(
                condition=~models.Q(member=models.F("clinician")), name="care_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} -> {self.clinician_id} ({'active' if self.active else 'ended'})"


class SharedCheckIn(models.Model):
    """One check-in the member chose to show their linked clinician; revocable."""

    checkin = models.OneToOneField(
        "checkins.CheckIn", on_delete=models.CASCADE, related_name="clinician_share"
    )
    include_note = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"check-in {self.checkin_id} shared with clinician"
