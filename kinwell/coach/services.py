"""The empathy coach's feedback, and the one write the coach makes (a member's setting).

:func:`feedback` turns the model's predictions into something a peer can act on: a meter
for each empathy mechanism, the phrases that drove it, one or two concrete suggestions
chosen by simple rules, and a gentle note for advice-giving, minimising, judgement and
self-focus. It is automated feedback: it never rewrites the reply, never sends anything,
and stores nothing of what was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from kinwell.coach import model as coach_model
from kinwell.coach.model import FLAGS, LEVEL_NAMES, MECHANISMS
from kinwell.coach.models import CoachPreference

MAX_CHARS = 5000

EMPTY_MESSAGE = "Write a few words and the coach will share what it notices."
NOT_ENGLISH_MESSAGE = "The coach only reads English for now."
TOO_LONG_MESSAGE = (
    f"That is longer than the coach can read at once ({MAX_CHARS:,} characters). "
    "Try it on a shorter reply, or on one part at a time."
)
AUTOMATED_NOTICE = (
    "This is automated feedback from a small computer model. It can be wrong, it never "
    "changes or sends your reply, and nothing you write here is stored."
)

MECHANISM_LABELS = {
    "emotional_reactions": "Sharing how it touches you",
    "interpretations": "Showing you understand",
    "explorations": "Asking about them",
}
FLAG_LABELS = {
    "advice": "Giving advice",
    "minimising": "Making it sound smaller",
    "judgement": "Sounding like blame",
    "self_focus": "Mostly about you",
}

# One tip per mechanism and level below "strong". Our own words; each names one concrete
# thing to try, with an example the member can make their own.
TIPS = {
    ("emotional_reactions", 0): "Let them know their words reached you. A short line such as "
    "“I felt so sad reading this” tells them they are not talking to a wall.",
    ("emotional_reactions", 1): "Name your own feeling plainly. “I'm really moved that you "
    "shared this” says more than a stock phrase.",
    ("interpretations", 0): "Reflect the feeling you noticed. Try “It sounds like you feel …” "
    "and name it in your own words.",
    ("interpretations", 1): "Say what you understood, tied to what they wrote: which part "
    "sounds hardest for them, and why?",
    ("explorations", 0): "Ask an open question about them, such as “What has it been like "
    "for you since then?”",
    ("explorations", 1): "Make your question about their inner world: ask about a feeling or "
    "a moment they mentioned.",
}
ALL_STRONG_TIP = (
    "Your reply shows feeling, understanding and curiosity. Read it once more as if you "
    "were them; when it feels right, it is yours to send."
)
FLAG_NOTES = {
    "advice": "There is a suggestion of what to do here. Advice lands better once someone "
    "feels heard; you could ask first whether they would like ideas.",
    "minimising": "Some words may make this sound smaller than it feels to them. Try staying "
    "with how big it is for them right now.",
    "judgement": "Part of this may read as blame. They will hear you better if you say what "
    "you understand rather than what they should have done.",
    "self_focus": "Much of this is about you. Your story can help; bring it back to them at "
    "the end with a question or a reflection.",
}
SIGNPOST_NOTE = (
    "Pointing someone to help when they are struggling this much is kind. Keep it warm, and "
    "let them know you are still here to listen."
)
# Which tip comes first when several mechanisms are equally low: understanding first,
# then a question, then the replier's own feeling.
TIP_ORDER = ("interpretations", "explorations", "emotional_reactions")

# Pointing to help is labelled advice in our corpus, but when someone may be in crisis it
# is what we want, so the coach thanks rather than warns: always for a crisis line, and for
# a doctor or counsellor when the post being answered shows distress.
_CRISIS_HELP_RE = re.compile(
    r"\b(?:crisis (?:line|team|service|number)|helpline|hotline|samaritans|116 ?123|988|999|"
    r"911|112|emergency services|emergency number|a&e|text line|lifeline)\b",
    re.IGNORECASE,
)
_OTHER_HELP_RE = re.compile(
    r"\b(?:gp|doctor|counsell?or|therapist|psychologist|psychiatrist)s?\b", re.IGNORECASE
)

# Words common in English replies. A text counts as English when enough of its words are
# either here or in the coach's own vocabulary (learnt from English replies).
_COMMON_WORDS = """
    a about after again all also am an and any are as at be because been being but by can
    could did do does don't for from get go going had has have he her here him his how i
    i'm if in is it it's just know like me more my no not now of oh ok okay on one or our
    out really she so some still than that that's the their them then there they think
    this to too up us very was we were what when where which who why will with would you
    you're your yours yeah yes sorry hugs love feel feeling hope hear heard sad glad
    here's thank thanks take care sending strong hard tough mum mom dad friend
"""
_COMMON = frozenset(_COMMON_WORDS.split())
_LETTER_RE = re.compile(r"[^\W\d_]")


def is_english(text: str) -> bool:
    """A cheap guess: mostly Latin letters, and (from three words on) at least a third of
    the words are common English or known to the coach. Short replies get the benefit of
    the doubt."""
    letters = _LETTER_RE.findall(text)
    if not letters:
        return True  # digits, emoji or punctuation only: nothing to judge
    ascii_share = sum(1 for c in letters if c.isascii()) / len(letters)
    if ascii_share < 0.8:
        return False
    words = [t.text for t in coach_model.tokenize(text) if t.text not in ("?", "!")]
    if len(words) < 3:
        return True
    known_vocab = coach_model.model().word
    known = sum(1 for w in words if w in _COMMON or w in known_vocab)
    return known / len(words) >= 0.34


@dataclass(frozen=True)
class Meter:
    name: str
    label: str
    level: int
    level_name: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class FlagNote:
    name: str
    label: str
    note: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Feedback:
    """What the coach says about one reply. ``message`` alone when it could not read it."""

    message: str = ""
    meters: tuple[Meter, ...] = ()
    flags: tuple[FlagNote, ...] = ()
    suggestions: tuple[str, ...] = ()
    levels: dict[str, int] = field(default_factory=dict)
    notice: str = AUTOMATED_NOTICE

    @property
    def ok(self) -> bool:
        return not self.message

    def as_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "levels": self.levels,
            "flags": [f.name for f in self.flags],
            "suggestions": list(self.suggestions),
            "phrases": {m.name: list(m.phrases) for m in self.meters}
            | {f.name: list(f.phrases) for f in self.flags},
        }


def _seeker_in_distress(seeker_post: str) -> bool:
    if not seeker_post.strip():
        return False
    from kinwell.safety.screening import screen_text

    return screen_text(seeker_post[:MAX_CHARS]).level != "none"


def _points_to_help(text: str, seeker_post: str) -> bool:
    if _CRISIS_HELP_RE.search(text):
        return True
    return bool(_OTHER_HELP_RE.search(text)) and _seeker_in_distress(seeker_post)


def _suggestions(levels: dict[str, int], flagged: bool) -> tuple[str, ...]:
    low = sorted(
        (m for m in TIP_ORDER if levels[m] < 2),
        key=lambda m: (levels[m], TIP_ORDER.index(m)),
    )
    if not low:
        return () if flagged else (ALL_STRONG_TIP,)
    # With a note about a habit to show as well, one tip is enough to take in.
    return tuple(TIPS[(m, levels[m])] for m in low[: 1 if flagged else 2])


def feedback(text: str, seeker_post: str = "") -> Feedback:
    """Rate a draft reply and say, kindly and concretely, how it could go deeper.

    ``seeker_post`` is the post being answered, when there is one: it only decides whether
    pointing to crisis help is what the moment needs. Never raises on odd input; returns a
    Feedback with only ``message`` set when the text cannot be rated.
    """
    text = text or ""
    if not text.strip():
        return Feedback(message=EMPTY_MESSAGE)
    if len(text) > MAX_CHARS:
        return Feedback(message=TOO_LONG_MESSAGE)
    if not is_english(text):
        return Feedback(message=NOT_ENGLISH_MESSAGE)
    prediction, phrases = coach_model.model().explain(text)
    levels = dict(prediction.levels)
    meters = tuple(
        Meter(
            name=m,
            label=MECHANISM_LABELS[m],
            level=levels[m],
            level_name=LEVEL_NAMES[levels[m]],
            phrases=tuple(p.text for p in phrases[m]) if levels[m] else (),
        )
        for m in MECHANISMS
    )
    notes: list[FlagNote] = []
    for name in FLAGS:
        if not prediction.flags[name]:
            continue
        note = FLAG_NOTES[name]
        if name == "advice" and _points_to_help(text, seeker_post):
            note = SIGNPOST_NOTE
        notes.append(FlagNote(name, FLAG_LABELS[name], note, tuple(p.text for p in phrases[name])))
    return Feedback(
        meters=meters,
        flags=tuple(notes),
        suggestions=_suggestions(levels, bool(notes)),
        levels=levels,
    )


# ------------------------------------------------------------------------------- writes


@transaction.atomic
def coach_preference_set(*, actor: Any, enabled: bool) -> CoachPreference:
    """Record the member's own choice; it overrides any circle's default."""
    preference, _ = CoachPreference.objects.update_or_create(
        user=actor, defaults={"enabled": bool(enabled)}
    )
    return preference
