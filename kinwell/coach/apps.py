from django.apps import AppConfig


class CoachConfig(AppConfig):
    name = "kinwell.coach"
    label = "coach"
    default_auto_field = "django.db.models.BigAutoField"
