from typing import Any

from django.core.management.base import BaseCommand

from kinwell.checkins.services import reminders_send


class Command(BaseCommand):
    help = "Send due check-in reminders. Run every few minutes (cron or a task worker)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"reminders sent: {reminders_send()}")
