from django.apps import AppConfig


class CoachConfig(AppConfig):
    name = "kinwell.coach"
    label = "coach"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kinwell.coach import personal_data  # noqa: F401  (registers with privacy)
