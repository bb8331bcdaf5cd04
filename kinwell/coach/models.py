from django.conf import settings
from django.db import models


class CoachPreference(models.Model):
    """A member's own choice to see the empathy coach or not. No row: no choice made yet,
    so the circle's default applies (see ``selectors.coach_enabled_for``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coach_preference"
    )
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"coach {'on' if self.enabled else 'off'} for {self.user_id}"
