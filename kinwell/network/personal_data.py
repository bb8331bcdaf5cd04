from kinwell.core.privacy import DataCategory, register
from kinwell.network.models import Contact, Person

register(
    DataCategory(
        key="network.people",
        model=Person,
        owner="user",
        title="People on your relationship map",
        purpose="So you can see who is in your life, how close they feel and what support "
        "flows between you, and get a gentle reminder to stay in touch.",
        visible_to="Only you. The people on your map are never told and never see it.",
    )
)
register(
    DataCategory(
        key="network.contacts",
        model=Contact,
        owner="person__user",
        title="Times you were in touch with someone on your map",
        purpose="So your map knows when you last connected, and your check-ins can show it.",
        visible_to="Only you. Notes that suggest you may be unsafe are also seen by a "
        "moderator, and that is written to your access log.",
    )
)
