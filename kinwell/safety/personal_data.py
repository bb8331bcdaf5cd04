from kinwell.core.privacy import DataCategory, register
from kinwell.safety.models import (
    Appeal,
    Block,
    Escalation,
    EscalationNote,
    ModerationDecision,
    Mute,
    Report,
    SafetyPlan,
)

STAFF_RECORD = (
    "It is part of another member's safety or moderation record; the link to you is "
    "removed and the record stays for that member."
)

register(
    DataCategory(
        key="safety.plan",
        model=SafetyPlan,
        owner="user",
        title="Your safety plan",
        purpose="So your plan is one tap away when things get hard.",
        visible_to="Only you, and your clinician if you choose to share it.",
    )
)
register(
    DataCategory(
        key="safety.escalations",
        model=Escalation,
        owner="author",
        title="Messages that asked a human to check on you",
        purpose="When something you write suggests you may be struggling or unsafe, a "
        "facilitator or moderator is asked to check in, and help is shown to you at once.",
        visible_to="Moderators, and the facilitator of the circle where you wrote it. Every "
        "time they open it, it is written to your access log.",
        exclude=("owner_id",),
    )
)
register(
    DataCategory(
        key="safety.escalations_owned",
        model=Escalation,
        owner="owner",
        title="Escalations you handled (staff only)",
        purpose="Who acknowledged an escalation.",
        visible_to="Moderators.",
        kept_on_delete=STAFF_RECORD,
    )
)
register(
    DataCategory(
        key="safety.escalation_notes",
        model=EscalationNote,
        owner="escalation__author",
        title="Notes staff wrote while checking on you",
        purpose="So the people helping you do not ask the same questions twice.",
        visible_to="Moderators and the facilitator of the circle.",
        exclude=("author_id",),
    )
)
register(
    DataCategory(
        key="safety.escalation_notes_written",
        model=EscalationNote,
        owner="author",
        title="Notes you wrote on escalations (staff only)",
        purpose="Care records for the member concerned.",
        visible_to="Moderators.",
        kept_on_delete=STAFF_RECORD,
    )
)
register(
    DataCategory(
        key="safety.blocks",
        model=Block,
        owner="blocker",
        title="People you blocked",
        purpose="So you and they never see each other or share a circle.",
        visible_to="Only you. The person is not told.",
    )
)
register(
    DataCategory(
        key="safety.mutes",
        model=Mute,
        owner="muter",
        title="People you muted",
        purpose="So their posts stay out of your way.",
        visible_to="Only you. The person is not told.",
    )
)
register(
    DataCategory(
        key="safety.reports_made",
        model=Report,
        owner="reporter",
        title="Reports you made",
        purpose="So moderators can act on what you flagged.",
        visible_to="You and moderators. The person you reported is never told it was you.",
        exclude=("reported_id",),
    )
)
register(
    DataCategory(
        key="safety.reports_about_you",
        model=Report,
        owner="reported",
        title="Reports about you",
        purpose="So moderators can look into concerns.",
        visible_to="Moderators. Who reported you is not shared.",
        fields=("id", "target_type", "target_id", "reason", "state", "created_at"),
    )
)
register(
    DataCategory(
        key="safety.decisions",
        model=ModerationDecision,
        owner="member",
        title="Moderation decisions about you",
        purpose="So you know what was decided and why, and can appeal once.",
        visible_to="You and moderators.",
        exclude=("moderator_id",),
    )
)
register(
    DataCategory(
        key="safety.decisions_made",
        model=ModerationDecision,
        owner="moderator",
        title="Moderation decisions you made (staff only)",
        purpose="Moderation records for the member concerned.",
        visible_to="Moderators.",
        kept_on_delete=STAFF_RECORD,
    )
)
register(
    DataCategory(
        key="safety.appeals",
        model=Appeal,
        owner="member",
        title="Your appeals",
        purpose="Your one appeal per decision, and its outcome.",
        visible_to="You and moderators.",
        exclude=("reviewer_id",),
    )
)
register(
    DataCategory(
        key="safety.appeals_reviewed",
        model=Appeal,
        owner="reviewer",
        title="Appeals you reviewed (staff only)",
        purpose="Moderation records for the member concerned.",
        visible_to="Moderators.",
        kept_on_delete=STAFF_RECORD,
    )
)
