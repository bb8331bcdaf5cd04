from kinwell.coach.models import CoachPreference
from kinwell.core.privacy import DataCategory, register

register(
    DataCategory(
        key="coach.preference",
        model=CoachPreference,
        owner="user",
        title="Your empathy coach setting",
        purpose="Whether you want the coach's feedback while you write replies. What you "
        "write is never stored by the coach.",
        visible_to="Only you.",
    )
)
