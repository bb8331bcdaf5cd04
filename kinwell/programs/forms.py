from typing import Any

from django import forms

from kinwell.network.models import Person
from kinwell.programs.content import Day
from kinwell.programs.models import GROUNDING_MAX, REFLECTION_MAX, STORY_MAX
from kinwell.programs.services import GROUNDING_SENSES

STEP_FORM_ID = "step-form"

GROUNDING_LABELS = {
    "see": "5 things you can see",
    "feel": "4 things you can feel",
    "hear": "3 things you can hear",
    "smell": "2 things you can smell",
    "taste": "1 thing you can taste",
}


def _too_long(limit: int, what: str) -> dict[str, str]:
    return {"max_length": f"Please keep {what} to {limit} characters (it has %(show_value)d)."}


class StepForm(forms.Form):
    """Finishing a day: the reflection, plus the practice's own fields for grounding and
    the narrative. Practice fields sit in the practice section of the page and belong to
    this form through the HTML `form` attribute."""

    def __init__(self, *args: Any, day: Day, can_share: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.day = day
        linked = {"form": STEP_FORM_ID}
        if day.practice == "grounding":
            for sense in GROUNDING_SENSES:
                self.fields[sense] = forms.CharField(
                    required=False,
                    max_length=GROUNDING_MAX,
                    label=GROUNDING_LABELS[sense],
                    widget=forms.TextInput(attrs={**linked, "autocomplete": "off"}),
                    error_messages=_too_long(GROUNDING_MAX, "this answer"),
                )
            self.fields["keep"] = forms.BooleanField(
                required=False,
                label="Keep my answers with my reflection",
                help_text="If you leave this unticked, your answers are not saved anywhere.",
                widget=forms.CheckboxInput(attrs=linked),
            )
        if day.practice == "narrative":
            self.fields["story"] = forms.CharField(
                required=False,
                max_length=STORY_MAX,
                label="Part 1: the story as it feels now",
                widget=forms.Textarea(attrs={**linked, "rows": 6}),
                error_messages=_too_long(STORY_MAX, "your story"),
            )
            self.fields["retelling"] = forms.CharField(
                required=False,
                max_length=STORY_MAX,
                label="Part 2: the story of how you got through",
                help_text="What did you do to keep going? Who or what helped?",
                widget=forms.Textarea(attrs={**linked, "rows": 6}),
                error_messages=_too_long(STORY_MAX, "your retelling"),
            )
        self.fields["reflection"] = forms.CharField(
            required=False,
            max_length=REFLECTION_MAX,
            label=day.reflection_prompt,
            help_text="A few words is plenty. Private unless you choose to share it.",
            widget=forms.Textarea(attrs={"rows": 5}),
            error_messages=_too_long(REFLECTION_MAX, "your reflection"),
        )
        if can_share:
            self.fields["share"] = forms.BooleanField(
                required=False,
                label="Share this reflection with my circle",
                help_text="Only people in circles where you share your progress in this "
                "program can read it. You can take it back at any time.",
            )

    def practice_notes(self) -> dict[str, Any]:
        data = self.cleaned_data
        if self.day.practice == "grounding":
            return {
                "keep": data.get("keep", False),
                **{s: data.get(s, "") for s in GROUNDING_SENSES},
            }
        if self.day.practice == "narrative":
            return {"story": data.get("story", ""), "retelling": data.get("retelling", "")}
        return {}

    def practice_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in ("reflection", "share")]


class ContactForm(forms.Form):
    person = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        label="Who did you reach out to?",
        empty_label="Choose a person",
        error_messages={
            "required": "Choose someone from your map.",
            "invalid_choice": "Choose someone from your own map.",
        },
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from kinwell.network.selectors import people_queryset

        field = self.fields["person"]
        field.queryset = people_queryset(user=user)  # type: ignore[attr-defined]
        field.label_from_instance = lambda p: p.alias  # type: ignore[attr-defined]


class StartForm(forms.Form):
    program = forms.ChoiceField(label="Program", choices=())

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = choices  # type: ignore[attr-defined]
