"""Plain, non-diagnostic words for ECR-RS scores about one relationship.

The ECR-RS gives two means on a 1-7 scale: avoidance (discomfort with leaning on and
opening up to this person) and anxiety (worry about whether they care). No cut-offs are
published; the words below split the range into thirds around the midpoint, as a reading
aid only. They describe how a relationship feels now, never a "style" or a diagnosis.
"""

from typing import Any

INSTRUMENT = "ecr-rs"
LOW = 3.0
HIGH = 5.0


def _level(value: float) -> str:
    if value < LOW:
        return "low"
    if value > HIGH:
        return "high"
    return "middle"


AVOIDANCE = {
    "low": "leaning on {name} and opening up to them comes fairly easily",
    "middle": "leaning on {name} and opening up to them feels easy at some times and "
    "harder at others",
    "high": "opening up to {name} or depending on them feels hard at the moment",
}
ANXIETY = {
    "low": "you rarely worry about whether they care for you",
    "middle": "you sometimes worry about whether they care as much as you do",
    "high": "you often worry that they may not care for you or may pull away",
}


def describe(name: str, avoidance: float, anxiety: float) -> str:
    """One or two sentences about how this relationship feels, from the two scores."""
    avoid, worry = _level(avoidance), _level(anxiety)
    if avoid == "low" and worry == "low":
        return (
            f"Your answers suggest you feel fairly secure with {name}: leaning on them comes "
            "fairly easily, and you rarely worry about whether they care."
        )
    text = (
        f"Your answers suggest that {AVOIDANCE[avoid].format(name=name)}, "
        f"and that {ANXIETY[worry]}."
    )
    if avoid == "high" and worry == "high":
        text += (
            " Feeling both pulled towards someone and wary of them is common, and painful. "
            "It can help to talk it through with someone you trust."
        )
    return text


def summary(name: str, responses: list[Any]) -> dict[str, Any] | None:
    """The latest result in words and numbers, and the one before it for comparison.

    `responses` are the person's ECR-RS results, newest first."""
    if not responses:
        return None
    latest = responses[0]
    avoidance = latest.subscales.get("avoidance")
    anxiety = latest.subscales.get("anxiety")
    if avoidance is None or anxiety is None:
        return None
    previous = responses[1] if len(responses) > 1 else None
    return {
        "latest": latest,
        "avoidance": avoidance,
        "anxiety": anxiety,
        "words": describe(name, avoidance, anxiety),
        "previous": previous,
        "previous_avoidance": previous.subscales.get("avoidance") if previous else None,
        "previous_anxiety": previous.subscales.get("anxiety") if previous else None,
    }
