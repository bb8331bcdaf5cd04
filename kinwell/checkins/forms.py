from typing import Any

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

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, question, anchors in FIVE_S:
            self.fields[name] = forms.TypedChoiceField(
                label=label,
                help_text=question,
                choices=[(i, f"{i} – {anchor}") for i, anchor in enumerate(anchors)],
                coerce=int,
                widget=forms.RadioSelect,
            )
        order = [name for name, *_ in FIVE_S] + ["window", "mood"]
        if user is not None:
            from kinwell.network.selectors import people_queryset

            # Only the member's own map people can be chosen: anyone else's id is "not a
            # valid choice", worded the same as an id that does not exist.
            people = people_queryset(user=user)
            if people.exists():
                self.fields["connections"] = forms.ModelMultipleChoiceField(
                    queryset=people,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                    label="Who did I connect with today?",
                    help_text="Anyone from your map you were in touch with, in any way.",
                    error_messages={
                        "invalid_choice": "Choose people from your own map.",
                        "invalid_pk_value": "Choose people from your own map.",
                    },
                )
                self.fields["connections"].label_from_instance = lambda p: p.alias  # type: ignore[attr-defined]
                order.append("connections")
        tail = ["note"]
        if user is not None:
            from kinwell.circles.selectors import circles_for_member

            circles = [m.circle for m in circles_for_member(user=user)]
            if circles:
                self.fields["share_with"] = forms.TypedMultipleChoiceField(
                    choices=[(c.pk, c.name) for c in circles],
                    coerce=int,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                    label="Share today's check-in with",
                    help_text="Your circle sees your answers (not your note, unless you tick "
                    "below). You can stop sharing at any time from Past check-ins.",
                    error_messages={"invalid_choice": "Choose circles you are part of."},
                )
                tail += ["share_with"]
                self.fields["connected_circles"] = forms.TypedMultipleChoiceField(
                    choices=[(c.pk, c.name) for c in circles],
                    coerce=int,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                    label="Did you connect with your circle today?",
                    help_text="A post, a chat, a meeting: any time with them counts.",
                    error_messages={"invalid_choice": "Choose circles you are part of."},
                )
                order.append("connected_circles")
            from kinwell.care.services import has_clinician

            if has_clinician(user):
                self.fields["share_clinician"] = forms.BooleanField(
                    required=False,
                    label="Share today's check-in with my clinician",
                    help_text="They see it on their client page; the visit is in your access log.",
                )
                tail.append("share_clinician")
            if "share_with" in self.fields or "share_clinician" in self.fields:
                self.fields["share_note"] = forms.BooleanField(
                    required=False, label="Include my note when I share"
                )
                tail.append("share_note")
        self.order_fields([*order, *tail])


class ReminderForm(forms.Form):
    enabled = forms.BooleanField(label="Remind me to check in", required=False)
    at = forms.TimeField(
        label="At (your time)",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": "Choose a time of day.", "invalid": "Enter a time like 20:30."},
    )
    channel = forms.ChoiceField(label="How", choices=(), widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from kinwell.checkins.models import Reminder

        self.fields["channel"].choices = Reminder.Channel.choices  # type: ignore[attr-defined]
