from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kinwell.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kinwell.core import homecache, personal_data  # noqa: F401  (registers with privacy)

        homecache.connect()
