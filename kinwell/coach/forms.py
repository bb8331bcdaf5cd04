from django import forms


class CoachSettingsForm(forms.Form):
    enabled = forms.ChoiceField(
        label="Show the coach beside my replies",
        choices=[
            ("on", "On: show me feedback while I write replies"),
            ("off", "Off: let me write without it"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose on or off."},
    )
