from typing import Any

from django.core.exceptions import ValidationError


def apply_validation_error(form: Any, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when it names one the
    form has, otherwise above the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
