from typing import Any

from django import forms

from kinwell.assessments.instruments import Instrument


class InstrumentForm(forms.Form):
    """One radio group per item. Nothing is required at form level, so a member can pause
    with answers missing; submitting checks completeness."""

    def __init__(self, instrument: Instrument, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for n, item in enumerate(instrument.items, start=1):
            choices = [(str(o.value), o.display) for o in item.options]
            if instrument.id == "asq" and item.link_id != "5":
                choices.append(("", "I'd rather not answer"))
            self.fields[f"q{item.link_id}"] = forms.ChoiceField(
                label=item.text,
                choices=choices,
                required=False,
                widget=forms.RadioSelect,
                help_text=f"Question {n} of {len(instrument.items)}",
                error_messages={"invalid_choice": "That answer is not one of the options."},
            )

    def answers(self) -> dict[str, str]:
        return {
            name[1:]: value for name, value in self.cleaned_data.items() if value not in (None,)
        }

    def missing_required(self) -> list[str]:
        missing = []
        for item in self.instrument.items:
            value = self.cleaned_data.get(f"q{item.link_id}")
            declinable = self.instrument.id == "asq" and item.link_id != "5"
            if item.required and not value and not (declinable and f"q{item.link_id}" in self.data):
                missing.append(item.link_id)
        return missing
