from typing import Any

from django.core.management.base import BaseCommand

from kinwell.circles.services import nudges_send


class Command(BaseCommand):
    help = (
        "Tell partners and facilitators about unanswered posts and partners who went quiet. "
        "Safe to run often (every 15 minutes from cron or a task worker): each nudge is sent once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = nudges_send()
        self.stdout.write(
            f"unseen-post nudges: {sent['unseen']}; quiet-partner nudges: {sent['quiet']}"
        )
