from kinwell.care.models import CareLink, SharedCheckIn
from kinwell.core.privacy import DataCategory, register

register(
    DataCategory(
        key="care.links",
        model=CareLink,
        owner="member",
        title="Clinicians you linked",
        purpose="So a clinician you chose can see what you share with them.",
        visible_to="You and that clinician. You can end the link at any time.",
    )
)
register(
    DataCategory(
        key="care.clients",
        model=CareLink,
        owner="clinician",
        title="Members who linked you (clinicians)",
        purpose="So you can see what your clients share with you.",
        visible_to="You and the member.",
    )
)
register(
    DataCategory(
        key="care.shared_checkins",
        model=SharedCheckIn,
        owner="checkin__user",
        title="Check-ins you shared with your clinician",
        purpose="So your clinician can follow how you are doing between sessions.",
        visible_to="Your linked clinician; every time they look, it is in your access log.",
    )
)
