from kinwell.core.models import AuditEvent, Notification
from kinwell.core.privacy import DataCategory, register

register(
    DataCategory(
        key="core.notifications",
        model=Notification,
        owner="user",
        title="Notifications",
        purpose="Messages Kinwell shows you, such as security notices.",
        visible_to="Only you.",
    )
)
register(
    DataCategory(
        key="core.access_log",
        model=AuditEvent,
        owner="subject",
        title="Who accessed your data",
        purpose="A record of every time a moderator, clinician or administrator viewed or "
        "changed your data, so you can see it.",
        visible_to="You, and administrators reviewing access.",
        exclude=("actor_id",),
    )
)
register(
    DataCategory(
        key="core.access_log_as_actor",
        model=AuditEvent,
        owner="actor",
        title="Your access to other people's data (staff only)",
        purpose="When staff view someone's data, the record belongs to that person.",
        visible_to="The person whose data was viewed, and administrators.",
        kept_on_delete="It is the other person's record of who saw their data; the link to "
        "you is removed and only your role is kept.",
    )
)
