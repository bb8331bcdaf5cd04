from django import forms

from kinwell.checkins.models import FIVE_S, CheckIn


class CheckInForm(forms.Form):
    window = forms.ChoiceField(
        choices=CheckIn.Window.choices, widget=forms.RadioSelect, label="Where are you right now?"
    )
    mood = forms.TypedChoiceField(
        choices=CheckIn.Mood.choices, coerce=int, widget=forms.RadioSelect, label="Mood"
    )
    note = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Anything you want to remember about today?",
        help_text="Private. Only you see it.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name, label, question, anchors in FIVE_S:
            self.fields[name] = forms.TypedChoiceField(
                label=label,
                help_text=question,
                choices=[(i, f"{i} – {anchor}") for i, anchor in enumerate(anchors)],
                coerce=int,
                widget=forms.RadioSelect,
            )
        order = [name for name, *_ in FIVE_S] + ["window", "mood", "note"]
        self.order_fields(order)
