from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kinwell.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kinwell.accounts import personal_data  # noqa: F401  (registers with privacy)
