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


class CircleSettingsForm(forms.Form):
    unseen_hours = forms.IntegerField(
        label="Tell partners and me about an unanswered post after (hours)",
        min_value=1,
        max_value=168,
    )
    coach_default = forms.BooleanField(
        label="Turn the empathy coach on by default for replies in this circle",
        required=False,
    )


class MuteForm(forms.Form):
    user = forms.ChoiceField(label="Member")
    hours = forms.TypedChoiceField(
        label="For how long",
        coerce=int,
        choices=[(1, "1 hour"), (6, "6 hours"), (24, "1 day"), (72, "3 days"), (168, "7 days")],
    )
    reason = forms.CharField(label="Why (they will see this)", max_length=400)

    def __init__(self, *args: Any, circle: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from kinwell.circles.models import Membership

        members = Membership.objects.filter(
            circle=circle, status=Membership.Status.ACTIVE, role=Membership.Role.MEMBER
        ).select_related("user")
        self.fields["user"].choices = [  # type: ignore[attr-defined]
            (str(m.user_id), m.user.display_name) for m in members
        ]


class MeetingForm(forms.Form):
    title = forms.CharField(label="Title", max_length=120, initial="Circle meeting")
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        label="Start time (your time)", widget=forms.TimeInput(attrs={"type": "time"})
    )
    minutes = forms.IntegerField(label="Length in minutes", min_value=15, max_value=240, initial=60)
    where = forms.CharField(
        label="Link or place",
        max_length=300,
        required=False,
        help_text="Shown only to the circle.",
    )

    def __init__(self, *args: Any, user: Any, circle: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if not self.is_bound:
            from kinwell.circles.slots import next_meeting, zone_of

            start = next_meeting(circle.slot).astimezone(zone_of(user))
            self.initial.update({"date": start.date(), "time": start.time().replace(second=0)})

    def meeting_fields(self) -> dict[str, Any]:
        from datetime import datetime

        from kinwell.circles.slots import zone_of

        data = self.cleaned_data
        starts_at = datetime.combine(data["date"], data["time"], tzinfo=zone_of(self.user))
        return {
            "starts_at": starts_at,
            "minutes": data["minutes"],
            "title": data["title"],
            "where": data["where"],
        }
