from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "kinwell.checkins"
    label = "checkins"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kinwell.checkins import personal_data  # noqa: F401  (registers with privacy)
        from kinwell.safety import sources

        sources.register("checkin_note", "Check-in note")
