from kinwell.circles.models import (
    Acknowledgement,
    Agreement,
    ChatMessage,
    CheckInShare,
    CircleConnection,
    JoinRequest,
    Meeting,
    Membership,
    Partnership,
    Post,
)
from kinwell.core.privacy import DataCategory, register

CIRCLE = "The members and facilitator of that circle."

register(
    DataCategory(
        key="circles.join_requests",
        model=JoinRequest,
        owner="user",
        title="Requests to join a circle",
        purpose="To find you a circle that shares your focus, language and meeting times.",
        visible_to="Only you, and moderators who run matching (they see counts, not names).",
    )
)
register(
    DataCategory(
        key="circles.memberships",
        model=Membership,
        owner="user",
        title="Circles you are in",
        purpose="So you can take part, and so the circle knows who is there.",
        visible_to=CIRCLE,
    )
)
register(
    DataCategory(
        key="circles.posts",
        model=Post,
        owner="author",
        title="Your circle posts and replies",
        purpose="What you shared with your circle.",
        visible_to=CIRCLE + " Words you kept private are seen only by you.",
    )
)
register(
    DataCategory(
        key="circles.chat",
        model=ChatMessage,
        owner="author",
        title="Your chat messages",
        purpose="What you said in your circle's chat.",
        visible_to=CIRCLE + " Words you kept private are seen only by you.",
    )
)
register(
    DataCategory(
        key="circles.acknowledgements",
        model=Acknowledgement,
        owner="user",
        title='Your "I see you" acknowledgements',
        purpose="To let someone know their words landed.",
        visible_to="The person you acknowledged, and the circle (as a count).",
    )
)
register(
    DataCategory(
        key="circles.agreements_written",
        model=Agreement,
        owner="written_by",
        title="Circle agreements you wrote (facilitators)",
        purpose="The version history of a circle's agreements.",
        visible_to=CIRCLE,
        kept_on_delete="The agreements belong to the circle; the link to you is removed.",
    )
)
register(
    DataCategory(
        key="circles.partnerships_asked",
        model=Partnership,
        owner="asker",
        title="Accountability partners you asked",
        purpose="So partners can look out for each other.",
        visible_to="You and your partner.",
    )
)
register(
    DataCategory(
        key="circles.partnerships_received",
        model=Partnership,
        owner="partner",
        title="Accountability partners who asked you",
        purpose="So partners can look out for each other.",
        visible_to="You and your partner.",
    )
)
register(
    DataCategory(
        key="circles.meetings_scheduled",
        model=Meeting,
        owner="created_by",
        title="Circle meetings you scheduled (facilitators)",
        purpose="So the circle knows when and where to meet.",
        visible_to=CIRCLE,
        kept_on_delete="The meeting belongs to the circle; the link to you is removed.",
    )
)
register(
    DataCategory(
        key="circles.shared_checkins",
        model=CheckInShare,
        owner="checkin__user",
        title="Check-ins you shared with a circle",
        purpose="So your circle can see how you are doing, when you choose.",
        visible_to=CIRCLE + " You can stop sharing at any time from Past check-ins.",
    )
)
register(
    DataCategory(
        key="circles.checkin_connections",
        model=CircleConnection,
        owner="checkin__user",
        title="Days you noted time with your circle",
        purpose="So your weekly reflection can show which connections went with better days.",
        visible_to="Only you.",
    )
)
