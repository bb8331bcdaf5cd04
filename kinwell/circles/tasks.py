from django_tasks import task

from kinwell.circles.services import nudges_send


@task()
def send_nudges() -> dict[str, int]:
    """For a task worker's schedule (or cron via `kinwell circles_nudges`)."""
    return nudges_send()
