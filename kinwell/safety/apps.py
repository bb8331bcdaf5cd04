from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "kinwell.safety"
    label = "safety"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kinwell.safety import personal_data  # noqa: F401  (registers with privacy)
        from kinwell.safety.crisis_lines import crisis_lines

        # Data files are validated at start: a broken crisis-line file must fail loudly
        # before anyone in crisis is shown an empty page.
        crisis_lines()
