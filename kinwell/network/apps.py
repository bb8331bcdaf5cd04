from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "kinwell.network"
    label = "network"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kinwell.network import personal_data  # noqa: F401  (registers with privacy)
        from kinwell.safety import sources

        sources.register("contact_note", "Note about time with someone")
