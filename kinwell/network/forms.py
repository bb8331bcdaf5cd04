from typing import Any

from django import forms

from kinwell.network.models import (
    ALIAS_MAX,
    NOTE_MAX,
    RHYTHMS,
    SAFETY_ANCHORS,
    SUPPORT,
    Person,
)

SUPPORT_CHOICES = [(key, f"{label}: {about}") for key, label, about in SUPPORT]
CIRCLE_HELP = {
    Person.Circle.INNER: "people it is hard to imagine life without",
    Person.Circle.MIDDLE: "people who matter, though less closely",
    Person.Circle.OUTER: "people you know and see, not so close",
}


class PersonForm(forms.Form):
    alias = forms.CharField(
        label="Name or nickname",
        max_length=ALIAS_MAX,
        help_text=f"Only you see it. Initials or a nickname are fine (up to {ALIAS_MAX} "
        "characters).",
        error_messages={
            "required": "Give them a name or a nickname only you will see.",
            "max_length": "Please keep the name to %(limit_value)d characters or fewer "
            "(this one has %(show_value)d).",
        },
    )
    kind = forms.ChoiceField(
        label="Who are they to you?",
        choices=[("", "Choose one"), *Person.Kind.choices],
        error_messages={
            "required": "Choose who they are to you.",
            "invalid_choice": "Choose one of the options in the list.",
        },
    )
    circle = forms.TypedChoiceField(
        label="How close do they feel?",
        choices=[
            (value, f"{label}: {CIRCLE_HELP[Person.Circle(value)]}")
            for value, label in Person.Circle.choices
        ],
        coerce=int,
        initial=Person.Circle.MIDDLE,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a circle.",
            "invalid_choice": "Choose the inner, middle or outer circle.",
        },
    )
    support_received = forms.MultipleChoiceField(
        label="What support do you get from them?",
        choices=SUPPORT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose any that fit, or none.",
        error_messages={"invalid_choice": "Choose from the kinds of support listed."},
    )
    support_given = forms.MultipleChoiceField(
        label="What support do you give them?",
        choices=SUPPORT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose any that fit, or none.",
        error_messages={"invalid_choice": "Choose from the kinds of support listed."},
    )
    safety = forms.TypedChoiceField(
        label="How safe do you feel with them?",
        choices=[
            ("", "I'd rather not say"),
            *[(i, f"{i} – {a}") for i, a in enumerate(SAFETY_ANCHORS)],
        ],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text="0 is not safe at all, 4 is safe to be yourself.",
        error_messages={"invalid_choice": "Choose a number from 0 to 4."},
    )
    last_contact = forms.DateField(
        label="When were you last in touch?",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="A rough date is fine. Leave it empty if you don't remember.",
        error_messages={"invalid": "Enter a date like 2026-03-14."},
    )
    rhythm_days = forms.TypedChoiceField(
        label="Remind me to reach out",
        choices=RHYTHMS,
        coerce=int,
        initial=0,
        help_text="A gentle note on your home page when it has been a while. Never sent to them.",
        error_messages={"invalid_choice": "Choose one of the options in the list."},
    )

    @classmethod
    def initial_for(cls, person: Person) -> dict[str, Any]:
        return {
            "alias": person.alias,
            "kind": person.kind,
            "circle": person.circle,
            "support_received": person.support_received,
            "support_given": person.support_given,
            "safety": person.safety,
            "last_contact": person.last_contact,
            "rhythm_days": person.rhythm_days,
        }


class ContactForm(forms.Form):
    day = forms.DateField(
        label="Day",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Leave empty for today.",
        error_messages={"invalid": "Enter a date like 2026-03-14."},
    )
    note = forms.CharField(
        label="A few words about it",
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Private. Only you see it.",
        error_messages={
            "max_length": "Please keep the note to %(limit_value)d characters "
            "(it has %(show_value)d)."
        },
    )
