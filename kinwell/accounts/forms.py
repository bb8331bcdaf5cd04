import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from kinwell.accounts.models import LANGUAGES, User, time_zone_choices
from kinwell.safety.crisis_lines import crisis_lines


def country_choices() -> list[tuple[str, str]]:
    # Country decides which crisis lines a member sees first; "" shows the picker.
    return [("", "Not set (show me all countries)"), *crisis_lines().choices()]


class SignUpForm(forms.Form):
    display_name = forms.CharField(
        max_length=40,
        min_length=2,
        help_text="What others in Kinwell will call you. It does not need to be your real name.",
    )
    email = forms.EmailField(
        help_text="Only for signing in and resetting your password. Never shown to anyone."
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters. A few unrelated words work well.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    country = forms.ChoiceField(
        choices=country_choices,
        required=False,
        help_text="So that Get help now shows the crisis lines where you are.",
    )
    time_zone = forms.ChoiceField(choices=time_zone_choices, initial="UTC")
    adult = forms.BooleanField(
        label="I am 18 or older",
        required=True,
        error_messages={"required": "Kinwell is for adults: please confirm you are 18 or older."},
    )
    accept = forms.BooleanField(
        label="I have read and accept the terms of use and the privacy notice",
        required=True,
        error_messages={"required": "Please read and accept the terms and privacy notice."},
    )
    research = forms.BooleanField(
        label=(
            "Optional: my numbers (never my words) may be counted in anonymous research summaries"
        ),
        required=False,
    )

    def clean_display_name(self) -> str:
        name: str = self.cleaned_data["display_name"].strip()
        if "@" in name:
            raise forms.ValidationError("Please do not use an email address as a display name.")
        return name

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") != data.get("password1"):
            self.add_error("password2", "The two passwords are different.")
        return data


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        "invalid_login": (
            "That email and password do not match an account. Check both and try again."
        ),
        "inactive": "This account is not active.",
    }


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=24,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
    )


class ProfileForm(forms.ModelForm):
    country = forms.ChoiceField(choices=country_choices, required=False)
    time_zone = forms.ChoiceField(choices=time_zone_choices)
    language = forms.ChoiceField(choices=LANGUAGES)

    class Meta:
        model = User
        fields = ["display_name", "pronouns", "time_zone", "language", "country"]
        help_texts = {
            "display_name": "What others in Kinwell call you.",
            "pronouns": "Optional, for example she/her, he/him, they/them.",
        }

    def clean_display_name(self) -> str:
        from kinwell.accounts.services import display_name_taken

        name: str = self.cleaned_data["display_name"].strip()
        if display_name_taken(name, exclude_pk=self.instance.pk):
            raise forms.ValidationError("That display name is taken. Try another one.")
        return name

    def clean_time_zone(self) -> str:
        value: str = self.cleaned_data["time_zone"]
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError("Choose a time zone from the list.")
        return value


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ResearchConsentForm(forms.Form):
    research = forms.BooleanField(required=False, label="Count my numbers in anonymous research")
