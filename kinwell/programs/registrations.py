"""What the programs app tells safety: the label of its screened text, and that a
reflection shared with a circle can be reported by the people who can read it."""

from typing import Any

from kinwell.safety import report_targets, sources

sources.register("program_reflection", "Program reflection")


def _owner(step_id: int, viewer: Any) -> Any:
    """The writer of a shared reflection, if the viewer can read it in one of their circles."""
    from django.http import Http404

    from kinwell.circles.models import Membership
    from kinwell.programs.selectors import shared_step_for

    memberships = Membership.objects.filter(
        user=viewer, status=Membership.Status.ACTIVE
    ).select_related("circle")
    for membership in memberships:
        try:
            return shared_step_for(
                viewer=viewer, circle=membership.circle, step_id=step_id
            ).enrolment.user
        except Http404:
            continue
    return None


def _text(step_id: int) -> str | None:
    from kinwell.programs.models import Step

    return Step.objects.filter(pk=step_id).values_list("reflection", flat=True).first()


report_targets.register(
    report_targets.TargetKind(
        kind="program_reflection",
        label="a shared program reflection",
        owner_of=_owner,
        text_of=_text,
    )
)
