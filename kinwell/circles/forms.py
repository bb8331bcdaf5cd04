from typing import Any

from django import forms

from kinwell.accounts.models import LANGUAGES
from kinwell.circles.focus import focus_choices
from kinwell.circles.models import CHAT_MAX, POST_MAX, Stage
from kinwell.circles.slots import DAYS, TIMES


class JoinForm(forms.Form):
    focus = forms.ChoiceField(
        label="What would you like support with?", widget=forms.RadioSelect, choices=()
    )
    language = forms.ChoiceField(label="Language of the circle", choices=LANGUAGES)
    days = forms.MultipleChoiceField(
        label="Which days could you meet?",
        choices=DAYS,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose every day that could work. More choices mean a circle sooner.",
        error_messages={"required": "Choose at least one day you could meet."},
    )
    times = forms.MultipleChoiceField(
        label="At what times (your time)?",
        choices=TIMES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one time you could meet."},
    )
    stage = forms.ChoiceField(
        label="Where are you in your recovery?",
        choices=Stage.choices,
        widget=forms.RadioSelect,
        help_text="Circles mix people at different points; someone steady can be a comfort.",
    )
    never_meet = forms.CharField(
        label="Anyone you never want to share a circle with",
        required=False,
        max_length=500,
        help_text="Display names, separated by commas. People you block are kept apart from "
        "you automatically. No one is told.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["focus"].choices = focus_choices()  # type: ignore[attr-defined]

    def names(self) -> list[str]:
        return [n.strip() for n in self.cleaned_data.get("never_meet", "").split(",")]


class AcceptForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    agree = forms.BooleanField(
        label="I have read these agreements and will keep them",
        error_messages={"required": "Tick the box to say you agree, or leave the circle."},
    )


class AgreementForm(forms.Form):
    text = forms.CharField(
        label="Agreements", widget=forms.Textarea(attrs={"rows": 16}), max_length=10000
    )


class PostForm(forms.Form):
    body = forms.CharField(
        label="Share with your circle",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=POST_MAX,
        error_messages={"required": "Write something before you post."},
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=POST_MAX,
        error_messages={"required": "Write something before you reply."},
    )


class ChatForm(forms.Form):
    body = forms.CharField(
        label="Message",
        max_length=CHAT_MAX,
        error_messages={"required": "Write something before you send."},
    )


class RemoveForm(forms.Form):
    user_id = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Why (the member sees this)", max_length=400)
