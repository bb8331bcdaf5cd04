from kinwell.checkins.models import CheckIn
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
