from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class ProgramsConfig(AppConfig):
    name = "kinwell.programs"
    label = "programs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kinwell.programs import personal_data, registrations  # noqa: F401  (register)
        from kinwell.programs.content import ContentError, programs

        # Program files are validated at start: a broken day must stop the server with
        # one line naming the file and line, never reach a member half-rendered.
        try:
            programs()
        except ContentError as exc:
            raise ImproperlyConfigured(str(exc)) from exc
