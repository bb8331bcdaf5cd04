"""The authorization matrix: for every route, who may do what to the owner's data.

One entry per route name (or full pattern, for unnamed routes). Each entry has one or
more cases; a case says how to build the URL from the fixture world (world.py), which
methods to try, what to post, and the outcome per role:

  ALLOW    the rightful role: GET answers `ok` (200 unless said), POST does not fail
           (< 400); `shows` names text it must see, `hides` text it still must not.
  LIMITED  the route is open to this role but acts only on the role's own account (or is
           public): any status below 500, none of the owner's text (world.MARKERS) in the
           body, and after the request nothing of the owner's changed (world.fingerprint).
  DENY     refused: 403 or 404 when signed in; a redirect to sign-in (or 401/403/404)
           when anonymous. None of the owner's text, nothing of theirs changed.
  NOOP     refused politely (the service found nothing of the role's own to act on and
           the page says so, usually a 302 back with a message): 302/303/400/403/404,
           none of the owner's text, nothing of theirs changed. Every NOOP says why.

A route the resolver serves without an entry here fails test_every_route_has_an_entry.
Routes open to anonymous visitors are listed in PUBLIC and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.security.world import (
    ANON,
    CIRCLE,
    CLINICIAN,
    CLINICIAN_LINKED,
    CORE_ROLES,
    FAC_OTHER,
    FACILITATOR,
    MODERATOR,
    OWNER,
    OWNER_NAME,
    PEER,
    PRIVATE,
    STAFF,
    STRANGER,
    World,
)

ALLOW = "allow"
LIMITED = "limited"
DENY = "deny"
NOOP = "noop"
OUTCOMES = (ALLOW, LIMITED, DENY, NOOP)

Builder = Callable[[World], dict[str, Any]]


def K(**spec: Any) -> Builder:
    """URL kwargs from the world: "@name" is the pk of the world's object of that name
    (world.o); anything else is taken as it is."""

    def build(world: World) -> dict[str, Any]:
        return {
            kw: world.o[value[1:]].pk if isinstance(value, str) and value.startswith("@") else value
            for kw, value in spec.items()
        }

    return build


def D(**spec: Any) -> Builder:
    """POST data from the world, with the same rule as K."""
    return K(**spec)


def NONE(world: World) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    expect: Mapping[str, str]
    kwargs: Builder = NONE
    methods: tuple[str, ...] = ("GET",)
    data: Builder = NONE
    label: str = ""
    ok: tuple[int, ...] = (200,)  # what an ALLOW role's GET answers
    shows: Mapping[str, str] = field(default_factory=dict)  # role -> text a GET must show
    hides: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # role -> never shown
    headers: Mapping[str, str] = field(default_factory=dict)
    why: str = ""  # required for NOOP and anything surprising


class Entry:
    """A route's cases, in order."""

    def __init__(self, *cases: Case) -> None:
        self.cases = cases


def roles(default: str, anonymous: str = DENY, **given: str) -> dict[str, str]:
    """Outcomes for the six core roles (default for the unnamed ones) plus any rightful
    extra roles named (peer, facilitator, clinician_linked, staff)."""
    out = dict.fromkeys(CORE_ROLES, default)
    out[ANON] = anonymous
    out.update(given)
    return out


# Only the owner: everyone else is refused.
OWNER_ONLY = roles(DENY, owner=ALLOW)
# No object in the URL: each signed-in person gets their own page.
SELF = roles(LIMITED, owner=ALLOW)
# Open to everyone, signed in or not.
OPEN = roles(LIMITED, anonymous=LIMITED)
# The owner's circle: its members and facilitator (not someone who left it).
IN_CIRCLE = roles(DENY, owner=ALLOW, peer=ALLOW, facilitator=ALLOW, former=DENY)
# The owner's circle's facilitator only; its plain members are refused too.
ITS_FACILITATOR = roles(DENY, peer=DENY, facilitator=ALLOW, former=DENY)
NOT_YOURS = "the service looks only among the requester's own rows, finds nothing, and " \
    "redirects back with a message"  # fmt: skip

HIDE_PRIVATE = (PRIVATE,)
HIDE_ALL = (PRIVATE, CIRCLE)
CIRCLE_HIDES = {PEER: HIDE_PRIVATE, FACILITATOR: HIDE_PRIVATE}

# Routes an anonymous visitor may open (login, sign-up, health, help and policy pages,
# the token calendar feed, public FHIR questionnaires). Nothing else.
PUBLIC = {
    "core:landing",
    "core:healthz",
    "core:policy",
    "core:policy_terms",
    "core:policy_privacy",
    "accounts:sign_up",
    "accounts:sign_in",
    "accounts:sign_in_verify",
    "accounts:sign_out",
    "accounts:deleted",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "safety:help",
    "assessments:fhir_questionnaire",
    "circles:feed",
    "admin:login",
}

GP = ("GET", "POST")
P = ("POST",)

MATRIX: dict[str, Entry] = {
    # --- core -------------------------------------------------------------------------
    "core:landing": Entry(
        Case(
            roles(LIMITED, anonymous=LIMITED, owner=ALLOW),
            shows={OWNER: f"{PRIVATE}notification"},
            why="signed in, the landing page is the member's own home",
        ),
    ),
    "core:home": Entry(Case(SELF, shows={OWNER: f"{PRIVATE}notification"})),
    "core:healthz": Entry(Case(OPEN)),
    "core:privacy": Entry(Case(SELF)),
    "core:notifications_read": Entry(Case(SELF, methods=P, headers={"HX-Request": "true"})),
    "core:policy": Entry(
        Case(OPEN, kwargs=K(purpose="terms")),
        Case(OPEN, kwargs=K(purpose="nope"), label="unknown"),
    ),
    "core:policy_terms": Entry(Case(OPEN)),
    "core:policy_privacy": Entry(Case(OPEN)),
    # --- accounts ---------------------------------------------------------------------
    "accounts:sign_up": Entry(Case(OPEN, methods=GP)),
    "accounts:sign_in": Entry(
        Case(
            OPEN,
            methods=GP,
            data=lambda w: {"username": w.owner.email, "password": "not-their-password"},
        ),
    ),
    "accounts:sign_in_verify": Entry(Case(OPEN, methods=GP, data=D(code="123456"))),
    "accounts:sign_out": Entry(Case(OPEN, methods=P)),
    "accounts:profile": Entry(Case(SELF, methods=GP)),
    "accounts:security": Entry(Case(SELF)),
    "accounts:password_change": Entry(Case(SELF, methods=GP)),
    "accounts:two_factor_setup": Entry(Case(SELF, methods=GP, data=D(code="123456"))),
    "accounts:two_factor_disable": Entry(Case(SELF, methods=GP, data=D(password="wrong"))),
    "accounts:recovery_codes_new": Entry(Case(SELF, methods=P)),
    "accounts:consent_research": Entry(Case(SELF, methods=P, data=D(research="on"))),
    "accounts:export": Entry(Case(SELF, shows={OWNER: f"{PRIVATE}checkinnote"})),
    "accounts:delete": Entry(Case(SELF, methods=GP, data=D(password="wrong"))),
    "accounts:deleted": Entry(Case(OPEN)),
    "accounts:password_reset": Entry(
        Case(OPEN, methods=GP, data=lambda w: {"email": w.owner.email})
    ),
    "accounts:password_reset_done": Entry(Case(OPEN)),
    "accounts:password_reset_confirm": Entry(
        Case(
            OPEN,
            methods=GP,
            kwargs=lambda w: {"uidb64": _uid(w), "token": "set-password"},
            data=D(new_password1="an-attacker-password-9", new_password2="an-attacker-password-9"),
            why="without a valid token the page says the link is invalid; the password stays",
        ),
    ),
    "accounts:password_reset_complete": Entry(Case(OPEN)),
    # --- safety -----------------------------------------------------------------------
    "safety:help": Entry(
        Case(
            roles(LIMITED, anonymous=LIMITED, owner=ALLOW),
            why="signed in, the help page links the member's own plan",
        ),
    ),
    "safety:plan": Entry(Case(SELF, shows={OWNER: f"{PRIVATE}reasons"})),
    "safety:plan_edit": Entry(
        Case(
            SELF,
            methods=GP,
            data=D(warning_signs="mine"),
            shows={OWNER: f"{PRIVATE}warningsigns"},
        ),
    ),
    "safety:queue": Entry(
        Case(
            roles(DENY, facilitator_other=ALLOW, moderator=ALLOW, facilitator=ALLOW),
            shows={MODERATOR: OWNER_NAME, FACILITATOR: OWNER_NAME},
            hides={
                FACILITATOR: HIDE_ALL,
                MODERATOR: HIDE_ALL,
                FAC_OTHER: (OWNER_NAME, *HIDE_ALL),
            },
            why="a facilitator of another circle has a queue, with none of the owner's rows; "
            "queue rows never carry the member's text",
        ),
    ),
    "safety:escalation": Entry(
        Case(
            roles(DENY, moderator=ALLOW, facilitator=DENY),
            methods=GP,
            kwargs=K(escalation_id="@escalation_private"),
            label="private",
            shows={MODERATOR: f"{PRIVATE}escalationtext"},
            why="moderators handle every escalation (C7); a private one reaches no "
            "facilitator; nobody sees their own",
        ),
        Case(
            roles(DENY, moderator=ALLOW, facilitator=ALLOW),
            label="circle",
            kwargs=K(escalation_id="@escalation_circle"),
            methods=GP,
            shows={FACILITATOR: f"{CIRCLE}escalationtext"},
        ),
    ),
    "safety:acknowledge": Entry(
        Case(
            roles(DENY, moderator=ALLOW, facilitator=DENY),
            methods=P,
            label="private",
            kwargs=K(escalation_id="@escalation_private"),
        ),
        Case(
            roles(DENY, moderator=ALLOW, facilitator=ALLOW),
            methods=P,
            label="circle",
            kwargs=K(escalation_id="@escalation_circle"),
        ),
    ),
    "safety:resolve": Entry(
        Case(
            roles(DENY, moderator=ALLOW, facilitator=DENY),
            methods=P,
            label="private",
            kwargs=K(escalation_id="@escalation_private"),
            data=D(note="done"),
        ),
        Case(
            roles(DENY, moderator=ALLOW, facilitator=ALLOW),
            methods=P,
            label="circle",
            kwargs=K(escalation_id="@escalation_circle"),
            data=D(note="done"),
        ),
    ),
    "safety:note": Entry(
        Case(
            roles(DENY, moderator=ALLOW, facilitator=DENY),
            methods=P,
            label="private",
            kwargs=K(escalation_id="@escalation_private"),
            data=D(text="called them"),
        ),
        Case(
            roles(DENY, moderator=ALLOW, facilitator=ALLOW),
            methods=P,
            label="circle",
            kwargs=K(escalation_id="@escalation_circle"),
            data=D(text="called them"),
        ),
    ),
    "safety:member": Entry(
        Case(
            roles(LIMITED, owner=ALLOW, blocked=DENY),
            kwargs=K(member_id="@owner"),
            why="a member's public face (display name, pronouns) is "
            "visible to signed-in members unless blocked",
        ),
    ),
    "safety:people": Entry(Case(SELF)),
    "safety:relation": Entry(
        Case(
            roles(LIMITED, owner=NOOP),
            methods=P,
            label="block",
            kwargs=K(member_id="@owner", change="block"),
            why="anyone may block anyone (their own list); the owner cannot block themself",
        ),
        Case(
            roles(LIMITED, owner=NOOP),
            methods=P,
            label="mute",
            kwargs=K(member_id="@owner", change="mute"),
            why="anyone may mute anyone (their own list); the owner cannot mute themself",
        ),
    ),
    "safety:report": Entry(
        Case(
            roles(ALLOW, blocked=DENY),
            methods=GP,
            label="member",
            kwargs=K(target_type="member", target_id="@owner"),
            data=D(reason="other"),
            hides={r: HIDE_ALL for r in CORE_ROLES if r != ANON},
            why="any signed-in member may report a member they can see (a report about the "
            "owner is the reporter's own record); the page shows none of the owner's text",
        ),
        Case(
            roles(DENY, owner=ALLOW, peer=ALLOW, facilitator=ALLOW),
            methods=GP,
            label="post",
            kwargs=K(target_type="circle_post", target_id="@post"),
            data=D(reason="other"),
            why="members of the circle may report what they can read (the owner is told "
            "they cannot report themself)",
        ),
        Case(
            roles(DENY, owner=ALLOW, peer=ALLOW, facilitator=ALLOW),
            label="message",
            kwargs=K(target_type="chat_message", target_id="@message"),
        ),
        Case(
            roles(DENY, peer=DENY, facilitator=DENY),
            label="held-post",
            kwargs=K(target_type="circle_post", target_id="@held_post"),
            why="held words are seen by nobody but their writer, so nobody can report them",
        ),
        Case(
            roles(DENY, owner=ALLOW, peer=ALLOW, facilitator=DENY),
            label="reflection",
            kwargs=K(target_type="program_reflection", target_id="@step_shared"),
            why="a shared reflection is readable by circle members who share too",
        ),
        Case(
            roles(DENY, peer=DENY),
            label="private-reflection",
            kwargs=K(target_type="program_reflection", target_id="@step_private"),
        ),
    ),
    "safety:reports": Entry(Case(roles(DENY, moderator=ALLOW))),
    "safety:report_decide": Entry(
        Case(
            roles(DENY, moderator=ALLOW),
            kwargs=K(report_id="@report"),
            methods=GP,
            data=D(action="no_action", rule="none", reason="Nothing against the rules."),
            shows={MODERATOR: f"{CIRCLE}post"},
        ),
    ),
    "safety:decisions": Entry(Case(SELF, shows={OWNER: "Please keep it on topic."})),
    "safety:appeal": Entry(
        Case(OWNER_ONLY, kwargs=K(decision_id="@decision"), methods=GP, data=D(text="again"))
    ),
    "safety:appeal_decide": Entry(
        Case(
            roles(DENY, moderator=ALLOW),
            kwargs=K(appeal_id="@appeal"),
            methods=GP,
            data=D(outcome="uphold", reason="It stands."),
            shows={MODERATOR: f"{PRIVATE}appealtext"},
        ),
    ),
    # --- check-ins --------------------------------------------------------------------
    "checkins:today": Entry(
        Case(SELF, methods=GP, shows={OWNER: f"{PRIVATE}checkinnote"}),
        Case(
            roles(LIMITED, owner=ALLOW),
            methods=P,
            label="into-the-owners-circle",
            data=lambda w: {
                **dict.fromkeys(("seen", "safe", "soothed", "secure", "stable"), "2"),
                "window": "inside",
                "mood": "3",
                "note": "mine",
                "share_with": [w.o["circle"].pk],
                "connected_circles": [w.o["circle"].pk],
                "connections": [w.o["person"].pk],
            },
            why="a check-in can be shared only with the writer's own circles and linked "
            "to their own map: others' ids are refused, nothing lands in the owner's circle",
        ),
    ),
    "checkins:history": Entry(Case(SELF, shows={OWNER: "Cedar"})),
    "checkins:insights": Entry(Case(SELF)),
    "checkins:week": Entry(Case(SELF)),
    "checkins:reminders": Entry(Case(SELF, methods=GP)),
    # --- assessments ------------------------------------------------------------------
    "assessments:index": Entry(Case(SELF)),
    "assessments:result": Entry(Case(OWNER_ONLY, kwargs=K(response_id="@response"))),
    "assessments:take": Entry(Case(SELF, methods=GP, kwargs=K(instrument_id="phq9"))),
    "assessments:history": Entry(Case(SELF, kwargs=K(instrument_id="phq9"))),
    "assessments:schedule": Entry(
        Case(SELF, methods=P, kwargs=K(instrument_id="phq9"), data=D(every_days="30"))
    ),
    "assessments:fhir_questionnaire": Entry(Case(OPEN, kwargs=K(instrument_id="phq9"))),
    "assessments:fhir_response": Entry(
        Case(OWNER_ONLY, kwargs=K(response_id="@response")),
        Case(OWNER_ONLY, kwargs=K(response_id="@attachment"), label="ecr-rs"),
    ),
    # --- the relationship map ---------------------------------------------------------
    "network:index": Entry(Case(SELF, shows={OWNER: f"{PRIVATE}alias"})),
    "network:person_new": Entry(Case(SELF, methods=GP)),
    "network:person": Entry(
        Case(
            OWNER_ONLY,
            kwargs=K(person_id="@person"),
            methods=GP,
            data=D(
                alias="kwrenamed",
                kind="friend",
                circle="2",
                support_received=["emotional"],
                safety="3",
                last_contact="",
                rhythm_days="0",
            ),
            shows={OWNER: f"{PRIVATE}contactnote"},
        ),
    ),
    "network:person_delete": Entry(Case(OWNER_ONLY, kwargs=K(person_id="@person"), methods=GP)),
    "network:person_move": Entry(
        Case(OWNER_ONLY, kwargs=K(person_id="@person"), methods=P, data=D(direction="further")),
        Case(
            OWNER_ONLY,
            kwargs=K(person_id="@person"),
            methods=P,
            label="htmx",
            data=D(direction="further", back="map"),
            headers={"HX-Request": "true"},
        ),
    ),
    "network:contact_log": Entry(
        Case(OWNER_ONLY, kwargs=K(person_id="@person"), methods=P, data=D(note="coffee"))
    ),
    "network:contact_delete": Entry(
        Case(OWNER_ONLY, methods=P, kwargs=K(person_id="@person", contact_id="@contact"))
    ),
    "network:person_attachment": Entry(
        Case(
            OWNER_ONLY,
            kwargs=K(person_id="@person"),
            methods=GP,
            data=D(**{f"q{n}": "4" for n in range(1, 10)}),
        ),
    ),
    # --- circles ----------------------------------------------------------------------
    "circles:index": Entry(Case(SELF)),
    "circles:join": Entry(Case(SELF, methods=GP)),
    "circles:withdraw": Entry(
        Case(
            roles(NOOP, owner=ALLOW),
            methods=P,
            kwargs=K(request_id="@join_request"),
            why=NOT_YOURS,
        ),
    ),
    "circles:matching": Entry(
        Case(
            roles(DENY, moderator=ALLOW),
            methods=GP,
            hides={MODERATOR: (OWNER_NAME, *HIDE_ALL)},
            why="moderators see counts of who waits, not names",
        ),
    ),
    "circles:circle": Entry(
        Case(
            IN_CIRCLE,
            kwargs=K(circle_id="@circle"),
            shows={OWNER: f"{PRIVATE}heldpost", PEER: f"{CIRCLE}post"},
            hides=CIRCLE_HIDES,
        ),
    ),
    "circles:agreements": Entry(
        Case(
            IN_CIRCLE,
            kwargs=K(circle_id="@circle"),
            methods=GP,
            data=D(version="1", agree="on"),
        ),
    ),
    "circles:agreements_edit": Entry(
        Case(
            ITS_FACILITATOR,
            kwargs=K(circle_id="@circle"),
            methods=GP,
            data=D(text="We listen. We keep what is shared here private. We are kind. " * 2),
        ),
    ),
    "circles:post_create": Entry(
        Case(
            IN_CIRCLE,
            kwargs=K(circle_id="@circle"),
            methods=P,
            data=D(body="Thinking of you all tonight."),
        ),
    ),
    "circles:post": Entry(
        Case(
            IN_CIRCLE,
            kwargs=K(circle_id="@circle", post_id="@post"),
            methods=GP,
            data=D(body="Thank you for sharing."),
            shows={PEER: f"{CIRCLE}post"},
            hides=CIRCLE_HIDES,
        ),
        Case(
            roles(DENY, owner=ALLOW, peer=DENY, facilitator=DENY),
            label="held",
            kwargs=K(circle_id="@circle", post_id="@held_post"),
            shows={OWNER: f"{PRIVATE}heldpost"},
            why="held words wait for their writer; nobody else sees them",
        ),
    ),
    "circles:chat_send": Entry(
        Case(
            IN_CIRCLE,
            kwargs=K(circle_id="@circle"),
            methods=P,
            data=D(body="hello", client_id="sec-1"),
        ),
    ),
    "circles:leave": Entry(Case(IN_CIRCLE, kwargs=K(circle_id="@circle"), methods=P)),
    "circles:remove": Entry(
        Case(
            ITS_FACILITATOR,
            kwargs=K(circle_id="@circle"),
            methods=P,
            data=D(user_id="@owner", reason="test"),
        ),
    ),
    "circles:facilitate": Entry(
        Case(
            ITS_FACILITATOR,
            kwargs=K(circle_id="@circle"),
            methods=GP,
            data=D(form="settings", unseen_hours="12"),
            hides={FACILITATOR: HIDE_PRIVATE},
        ),
    ),
    "circles:meetings": Entry(
        Case(IN_CIRCLE, kwargs=K(circle_id="@circle"), shows={PEER: f"{CIRCLE}meeting"}),
        Case(
            ITS_FACILITATOR,
            kwargs=K(circle_id="@circle"),
            methods=P,
            label="schedule",
            data=lambda w: _meeting(w),
        ),
    ),
    "circles:feed_rotate": Entry(Case(ITS_FACILITATOR, methods=P, kwargs=K(circle_id="@circle"))),
    "circles:feed": Entry(
        Case(
            roles(ALLOW, anonymous=ALLOW, peer=ALLOW),
            label="token",
            kwargs=lambda w: {"circle_id": w.o["circle"].pk, "token": w.o["circle"].feed_token},
            shows={ANON: f"{CIRCLE}meeting"},
            why="calendar apps cannot sign in: the long random link is the key (revocable)",
        ),
        Case(
            roles(DENY, anonymous=DENY, owner=DENY, peer=DENY),
            label="wrong-token",
            kwargs=lambda w: {"circle_id": w.o["circle"].pk, "token": "guessed" * 4},
        ),
        Case(
            roles(DENY, anonymous=DENY, owner=DENY),
            label="other-circles-token",
            kwargs=lambda w: {
                "circle_id": w.o["circle"].pk,
                "token": w.o["other_circle"].feed_token,
            },
            why="one circle's feed key must not open another circle's feed",
        ),
    ),
    "circles:partners": Entry(
        Case(IN_CIRCLE, kwargs=K(circle_id="@circle")),
        Case(
            roles(DENY, owner=ALLOW, peer=DENY, facilitator=DENY),
            methods=P,
            label="answer",
            kwargs=K(circle_id="@circle"),
            data=D(action="accept", partnership_id="@partnership"),
            why="only the person asked answers",
        ),
    ),
    "circles:meeting_ics": Entry(
        Case(IN_CIRCLE, kwargs=K(meeting_id="@meeting"), shows={PEER: f"{CIRCLE}meeting"})
    ),
    "circles:meeting_delete": Entry(
        Case(ITS_FACILITATOR, methods=P, kwargs=K(meeting_id="@meeting"))
    ),
    "circles:pin": Entry(
        Case(ITS_FACILITATOR, kwargs=K(post_id="@post"), methods=P, data=D(pinned="yes"))
    ),
    "circles:ack": Entry(
        Case(
            roles(DENY, owner=NOOP, peer=ALLOW, facilitator=ALLOW),
            methods=P,
            label="post",
            kwargs=K(kind="post", item_id="@post"),
            data=D(response="with"),
            why="the owner cannot acknowledge their own words (a message, no change)",
        ),
        Case(
            roles(DENY, owner=NOOP, peer=ALLOW, facilitator=ALLOW, former=DENY),
            methods=P,
            label="post-htmx",
            kwargs=K(kind="post", item_id="@post"),
            headers={"HX-Request": "true"},
            why="the owner cannot acknowledge their own words (a message, no change)",
        ),
        Case(
            roles(DENY, owner=NOOP, peer=ALLOW, facilitator=ALLOW),
            methods=P,
            label="message",
            kwargs=K(kind="message", item_id="@message"),
            why="the owner cannot acknowledge their own words (a message, no change)",
        ),
        Case(
            roles(DENY, owner=NOOP, peer=ALLOW, facilitator=ALLOW),
            methods=P,
            label="message-htmx",
            kwargs=K(kind="message", item_id="@message"),
            headers={"HX-Request": "true"},
            why="the owner cannot acknowledge their own words (a message, no change)",
        ),
        Case(
            roles(DENY, owner=NOOP, peer=ALLOW, facilitator=ALLOW),
            methods=P,
            label="checkin",
            kwargs=K(kind="checkin", item_id="@share"),
            headers={"HX-Request": "true"},
            why="the owner cannot acknowledge their own check-in (a message, no change)",
        ),
        Case(
            roles(NOOP, peer=NOOP, facilitator=NOOP),
            methods=P,
            label="held-post",
            kwargs=K(kind="post", item_id="@held_post"),
            why="held words are not there to acknowledge: the same message for everyone",
        ),
    ),
    "circles:share_revoke": Entry(
        Case(roles(NOOP, owner=ALLOW), methods=P, kwargs=K(share_id="@share"), why=NOT_YOURS)
    ),
    "circles:held_choice": Entry(
        Case(
            roles(DENY, owner=ALLOW, peer=DENY),
            methods=P,
            label="post",
            kwargs=K(kind="post", item_id="@held_post"),
            data=D(share="no"),
        ),
        Case(
            roles(DENY, owner=ALLOW, peer=DENY),
            methods=P,
            label="message",
            kwargs=K(kind="message", item_id="@held_message"),
            data=D(share="no"),
        ),
    ),
    # --- coach ------------------------------------------------------------------------
    "coach:feedback": Entry(Case(SELF, methods=P, data=D(text="That sounds hard."))),
    "coach:practice": Entry(Case(SELF, methods=GP, data=D(text="I hear you."))),
    "coach:settings": Entry(Case(SELF, methods=GP, data=D(enabled="on"))),
    # --- programs ---------------------------------------------------------------------
    "programs:index": Entry(Case(SELF)),
    "programs:circle": Entry(
        Case(
            IN_CIRCLE,
            kwargs=K(circle_id="@circle"),
            shows={PEER: f"{CIRCLE}sharedreflection"},
            hides=CIRCLE_HIDES,
        ),
    ),
    "programs:circle_start": Entry(
        Case(
            ITS_FACILITATOR | {OWNER: NOOP, PEER: NOOP},
            kwargs=K(circle_id="@circle"),
            methods=P,
            data=D(program="ten-days-of-reconnection"),
            why="a member of the circle who is not its facilitator is told so (message, no change)",
        ),
    ),
    "programs:circle_share": Entry(
        Case(
            IN_CIRCLE,
            kwargs=K(circle_id="@circle", circle_program_id="@circle_program"),
            methods=P,
            data=D(share="1"),
        ),
    ),
    "programs:circle_ack": Entry(
        Case(
            roles(DENY, owner=NOOP, peer=ALLOW, facilitator=DENY),
            methods=P,
            kwargs=K(circle_id="@circle", step_id="@step_shared"),
            why="the owner cannot acknowledge their own reflection (message, no change); the "
            "facilitator does not share this program, so does not see it",
        ),
    ),
    "programs:circle_end": Entry(
        Case(
            ITS_FACILITATOR | {OWNER: NOOP, PEER: NOOP},
            methods=P,
            kwargs=K(circle_id="@circle", circle_program_id="@circle_program"),
            why="a member of the circle who is not its facilitator is told so (message, no change)",
        ),
    ),
    "programs:reflection": Entry(
        Case(OWNER_ONLY, kwargs=K(step_id="@step_private"), shows={OWNER: f"{PRIVATE}reflection"}),
        Case(
            roles(DENY, owner=ALLOW, peer=DENY),
            kwargs=K(step_id="@step_shared"),
            label="shared",
            why="a circle reads shared reflections on its board only",
        ),
    ),
    "programs:reflection_share": Entry(
        Case(OWNER_ONLY, methods=P, data=D(share="1"), kwargs=K(step_id="@step_private"))
    ),
    "programs:program": Entry(Case(SELF, kwargs=K(slug="safe-enough"))),
    "programs:enrol": Entry(Case(SELF, methods=P, kwargs=K(slug="safe-enough"))),
    "programs:today": Entry(Case(SELF, kwargs=K(slug="safe-enough"), ok=(200, 302))),
    "programs:day": Entry(
        Case(
            SELF,
            methods=GP,
            kwargs=K(slug="safe-enough", number=2),
            ok=(200, 302),
            data=D(reflection="mine"),
        ),
    ),
    "programs:reach_out": Entry(
        Case(
            SELF,
            methods=P,
            kwargs=K(slug="safe-enough", number=6),
            data=D(person="@person"),
            why="others post the owner's person id: their form offers only their own map",
        ),
    ),
    "programs:progress": Entry(Case(SELF, kwargs=K(slug="safe-enough"))),
    "programs:pause": Entry(Case(SELF, methods=P, kwargs=K(slug="safe-enough"))),
    "programs:resume": Entry(Case(SELF, methods=P, kwargs=K(slug="safe-enough"))),
    "programs:leave": Entry(Case(SELF, methods=GP, kwargs=K(slug="safe-enough"))),
    # --- care team --------------------------------------------------------------------
    "care:index": Entry(Case(SELF, methods=GP, data=D(email="nobody@example.test"))),
    "care:end": Entry(
        Case(roles(NOOP, owner=ALLOW), methods=P, kwargs=K(link_id="@care_link"), why=NOT_YOURS)
    ),
    "care:client": Entry(
        Case(
            roles(DENY, clinician_linked=ALLOW),
            kwargs=K(member_id="@owner"),
            hides={CLINICIAN_LINKED: HIDE_ALL},
            why="only the clinician the owner linked; the note was not shared with them",
        ),
    ),
    "care:stop_checkin": Entry(Case(OWNER_ONLY, methods=P, kwargs=K(checkin_id="@checkin"))),
}


def _uid(world: World) -> str:
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return urlsafe_base64_encode(force_bytes(world.owner.pk))


def _meeting(world: World) -> dict[str, Any]:
    from datetime import timedelta

    from django.utils import timezone

    day = timezone.localdate() + timedelta(days=5)
    return {"title": "Extra", "date": day.isoformat(), "time": "19:00", "minutes": "60"}


# --- the admin --------------------------------------------------------------------------
# Every /admin/ route, whatever its name: the Django admin is for staff only. Anonymous
# visitors are sent to sign in; signed-in people without is_staff are refused (sent to the
# admin's sign-in, which does not let them in, or 403/404). Staff get 200 on the index.
ADMIN_PREFIX = "admin/"
ADMIN_ROLES = (ANON, OWNER, STRANGER, FAC_OTHER, CLINICIAN, MODERATOR)
ADMIN_STAFF_CONTROLS = ("admin:index", "admin:accounts_user_changelist", "admin:app_list")
ADMIN_SPECIAL = {
    "admin:login": "redirects to Kinwell's own sign-in page, which is public",
    "admin:logout": "signs out whoever posts it; no data",
}

# --- WebSockets --------------------------------------------------------------------------
# Keyed by full pattern. ALLOW: the socket is accepted; DENY: closed or refused.
WS_MATRIX: dict[str, dict[str, Any]] = {
    "ws/notifications/": {
        "kwargs": NONE,
        "expect": roles(ALLOW),
        "why": "everyone signed in gets a socket for their own notifications only "
        "(test_websockets checks another's notification never arrives)",
    },
    "ws/safety/queue/": {
        "kwargs": NONE,
        "expect": roles(DENY, facilitator_other=ALLOW, moderator=ALLOW, facilitator=ALLOW),
        "why": "moderators and facilitators; a facilitator of another circle is accepted "
        "but never receives the owner's circle's rows",
    },
    "ws/circles/<int:circle_id>/chat/": {
        "kwargs": K(circle_id="@circle"),
        "expect": IN_CIRCLE,
        "why": "the circle's members and facilitator only",
    },
}

# --- ASGI-level endpoints outside Django's URLconf -----------------------------------------
ASGI_ENDPOINTS = {
    "kinwell.core.layers.RelayEndpoint": "/internal/relay/: loopback + HMAC token only",
}

__all__ = [
    "ADMIN_PREFIX",
    "ADMIN_ROLES",
    "ADMIN_SPECIAL",
    "ADMIN_STAFF_CONTROLS",
    "ALLOW",
    "ASGI_ENDPOINTS",
    "DENY",
    "LIMITED",
    "MATRIX",
    "NOOP",
    "OUTCOMES",
    "PUBLIC",
    "STAFF",
    "WS_MATRIX",
    "Case",
    "Entry",
]
