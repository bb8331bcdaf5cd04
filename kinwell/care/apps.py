from django.apps import AppConfig


class CareConfig(AppConfig):
    """The clinician bridge: a member links their clinician and chooses what they see."""

    name = "kinwell.care"
    label = "care"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kinwell.care import personal_data  # noqa: F401
