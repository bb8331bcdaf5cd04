from kinwell.core.privacy import DataCategory, register
from kinwell.programs.models import Enrolment, ProgressShare, ReflectionAck, Step

register(
    DataCategory(
        key="programs.enrolments",
        model=Enrolment,
        owner="user",
        title="Guided programs you started",
        purpose="So you can pick up where you left off.",
        visible_to="Only you.",
    )
)
register(
    DataCategory(
        key="programs.steps",
        model=Step,
        owner="enrolment__user",
        title="Program days you finished, with your reflections",
        purpose="So you can look back on what you noticed, day by day.",
        visible_to="Only you, unless you share a reflection with your circle. Words that "
        "suggest you may be unsafe are also seen by a moderator, and that is written to your "
        "access log.",
    )
)
register(
    DataCategory(
        key="programs.progress_shares",
        model=ProgressShare,
        owner="user",
        title="Circles you share your program progress with",
        purpose="So people in your circle can see how far you have come, if you want them to.",
        visible_to="The members of that circle who share their progress too.",
    )
)
register(
    DataCategory(
        key="programs.acknowledgements",
        model=ReflectionAck,
        owner="user",
        title='Your "I see you" on shared reflections',
        purpose="To let someone know their words landed.",
        visible_to="The person you acknowledged, and the circle (as a count).",
    )
)
