from kinwell.checkins.models import CheckIn, Reminder
from kinwell.core.privacy import DataCategory, register

register(
    DataCategory(
        key="checkins.checkins",
        model=CheckIn,
        owner="user",
        title="Daily check-ins",
        purpose="So you can see how you are doing over time.",
        visible_to="Only you. Notes that suggest you may be unsafe are also seen by a moderator, "
        "and that is written to your access log.",
    )
)

register(
    DataCategory(
        key="checkins.reminder",
        model=Reminder,
        owner="user",
        title="Your check-in reminder",
        purpose="To remind you, at the time you chose, that a check-in is there if you want it.",
        visible_to="Only you.",
    )
)
