from django.apps import AppConfig


class CirclesConfig(AppConfig):
    name = "kinwell.circles"
    label = "circles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kinwell.circles import focus, personal_data, registrations  # noqa: F401

        # A broken focus list stops start-up with the file and problem named.
        focus.focus_areas()
