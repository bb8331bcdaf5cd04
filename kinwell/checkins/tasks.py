from django_tasks import task

from kinwell.checkins.services import reminders_send


@task()
def send_reminders() -> int:
    """For a task worker's schedule (or cron via `kinwell checkin_reminders`)."""
    return reminders_send()
