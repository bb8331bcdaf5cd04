from django import forms

from kinwell.safety.models import PLAN_STEPS, ModerationDecision, Report

PLAN_HELP = {
    "warning_signs": "Thoughts, feelings or situations that tell you a crisis may be coming.",
    "coping_steps": "Things that help a little, without anyone else: a walk, music, a shower.",
    "distractions": "People to be around, or places to go, that take your mind off things.",
    "people_to_ask": "Names and numbers of people you could call or message. One per line.",
    "professionals": "Your therapist, doctor or a crisis line: numbers help when thinking is hard.",
    "safer_surroundings": "Ways to keep things you could hurt yourself with out of reach.",
    "reasons_for_living": "What matters to you: people, pets, hopes, small things.",
}


class SafetyPlanForm(forms.Form):
    share_with_clinician = forms.BooleanField(
        required=False, label="Let my clinician see this plan (you can change this any time)"
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name, label in PLAN_STEPS:
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=4000,
                help_text=PLAN_HELP[name],
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        self.order_fields([name for name, _ in PLAN_STEPS] + ["share_with_clinician"])


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    note = forms.CharField(
        label="What was done",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "For example: messaged them, they are with a friend tonight; shared the crisis line."
        ),
    )


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        choices=Report.Reason.choices, widget=forms.RadioSelect, label="Why?"
    )
    details = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Anything moderators should know",
    )


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=ModerationDecision.Action.choices, label="Action")
    rule = forms.ChoiceField(choices=ModerationDecision.Rule.choices, label="Rule")
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason the member will see",
        help_text="Plain and kind. Never a reason: someone expressing distress.",
    )
    pause_days = forms.IntegerField(
        required=False, min_value=1, max_value=30, label="Pause posting for (days)"
    )


class AppealForm(forms.Form):
    text = forms.CharField(
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Why do you think the decision is wrong?",
        help_text="Another moderator will read it. You can appeal each decision once.",
    )


class AppealDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[("uphold", "The decision stands"), ("overturn", "Reverse the decision")],
        widget=forms.RadioSelect,
        label="Outcome",
    )
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason the member will see",
    )
