from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "kinwell.assessments"
    label = "assessments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kinwell.assessments import personal_data  # noqa: F401  (registers with privacy)
        from kinwell.assessments.instruments import instruments
        from kinwell.safety import sources

        sources.register("assessment", "Questionnaire result")

        # Instrument files are validated at start: a broken file must stop the server,
        # never score a member wrongly.
        instruments()
