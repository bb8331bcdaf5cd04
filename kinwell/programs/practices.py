"""The words and timings of each interactive practice, shared by the page (which works as
plain text without script) and programs.js (which guides it step by step)."""

import math
from typing import Any

from kinwell.programs.content import Day

BODY_SCAN_PROMPTS = (
    "Settle in. Rest your eyes on one spot, or close them if that feels safe.",
    "Notice your feet. Warm or cool, heavy or light? There is nothing to change.",
    "Move up to your legs and knees. Just notice what is there.",
    "Notice where your body meets the chair, the bed or the floor.",
    "Notice your belly. Let your breath move as it likes.",
    "Notice your chest and your back.",
    "Move to your hands and arms. You can wiggle your fingers.",
    "Notice your shoulders and neck. They may soften a little, or not. Both are fine.",
    "Notice your face: your jaw, cheeks, eyes and forehead.",
    "Now notice your whole body at once, resting here.",
    "When you are ready, look around the room and name one thing you see.",
)

LISTENING_POST = (
    "I moved to a new city for work three months ago. Everyone at the office already has "
    "their friends. Most evenings I eat alone and scroll my phone, and the weekends feel "
    "very long. I keep telling myself it will get better, but lately I'm not so sure."
)

LISTENING_CHECKLIST = (
    ("feel", "Feel with them", "Name the feeling you hear, like “That sounds really lonely.”"),
    (
        "understand",
        "Say what you understood",
        "Put what they told you in your own words, like “Your evenings feel empty.”",
    ),
    (
        "ask",
        "Ask an open question",
        "Invite them to say more, like “What has the hardest part been?”",
    ),
)


def _duration(seconds: int) -> str:
    if seconds < 90:
        return "about a minute"
    return f"about {math.ceil(seconds / 60)} minutes"


def _breathing(options: dict[str, Any]) -> dict[str, Any]:
    parts = [f"breathe in for {options['inhale']} seconds"]
    if options["hold"]:
        parts.append(f"hold for {options['hold']}")
    parts.append(f"breathe out for {options['exhale']}")
    if options["pause"]:
        parts.append(f"rest for {options['pause']}")
    per_round = options["inhale"] + options["hold"] + options["exhale"] + options["pause"]
    text = ", ".join(parts)
    return {
        **options,
        "text": text[0].upper() + text[1:] + ".",
        "length": f"{options['rounds']} rounds, {_duration(per_round * options['rounds'])}.",
    }


def describe(day: Day) -> dict[str, Any]:
    """What the page needs to show the day's practice."""
    options = dict(day.practice_options)
    if day.practice == "breathing":
        return {"kind": "breathing", **_breathing(options)}
    if day.practice == "body_scan":
        seconds = options["minutes"] * 60
        return {
            "kind": "body_scan",
            "minutes": options["minutes"],
            "seconds": seconds,
            "step_seconds": max(5, seconds // len(BODY_SCAN_PROMPTS)),
            "prompts": BODY_SCAN_PROMPTS,
        }
    if day.practice == "active_listening":
        return {
            "kind": "active_listening",
            "post": LISTENING_POST,
            "checklist": LISTENING_CHECKLIST,
        }
    return {"kind": day.practice}
