from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from kinwell.safety.models import Escalation


@task()
def email_urgent_escalation(*, escalation_id: int) -> int:
    """Email the helpers of an urgent escalation. No member text goes into email: it only
    says that the queue needs someone, with a link."""
    from kinwell.safety.services import escalation_helpers

    escalation = Escalation.objects.filter(pk=escalation_id).first()
    if escalation is None or escalation.state != Escalation.State.OPEN:
        return 0
    recipients = [u.email for u in escalation_helpers(escalation) if u.email]
    if not recipients:
        return 0
    send_mail(
        subject="Kinwell: an urgent escalation needs someone",
        message=(
            "A member may be in crisis. Please open the safety queue and acknowledge it:\n\n"
            f"{settings.SITE_URL}/safety/queue/{escalation_id}/\n"
        ),
        from_email=None,
        recipient_list=recipients,
        fail_silently=True,
    )
    return len(recipients)
