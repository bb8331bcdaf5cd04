"""Practice posts: example seeker posts from our own corpus, each with a strong reply.

Posts the safety screen rates urgent, or in which it finds a crisis phrase, are left out:
practice should feel safe, and a crisis deserves more than a practice run. (Its model
alone rates most support posts "concern", which is fine here.)
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from typing import Any

from kinwell.coach.model import FLAGS, MECHANISMS

FOCUS_LABELS = {
    "grief": "Grief and loss",
    "loneliness": "Loneliness",
    "relationships": "Relationships",
    "trauma": "Trauma recovery",
    "compulsive-behaviour": "Compulsive behaviour",
}


@dataclass(frozen=True)
class PracticePost:
    number: int  # 1-based position in the practice list
    focus: str
    focus_label: str
    text: str
    example: str  # a strong reply from the corpus, shown after the member has tried


def _gentle(result: Any) -> bool:
    if result.level == "urgent":
        return False
    return all(reason.startswith("model:") for reason in result.reasons)


@cache
def practice_posts() -> tuple[PracticePost, ...]:
    """Every usable seeker post, in a fixed mixed order (topics alternate)."""
    from kinwell.coach.train import corpus_files, read_csv
    from kinwell.safety.screening import screen_text

    best: dict[str, tuple[int, int, str, str]] = {}  # post -> (score, -len, reply, focus)
    for path in corpus_files():
        _, rows = read_csv(path)
        for row in rows:
            post = (row.get("seeker_post") or "").strip()
            reply = (row.get("response_post") or "").strip()
            if not post or not reply:
                continue
            try:
                score = sum(int(row[m]) for m in MECHANISMS)
                flagged = any((row.get(f) or "0").strip() == "1" for f in FLAGS)
            except (KeyError, ValueError):
                continue
            if flagged or score < 5:
                continue
            key = (score, -len(reply))
            if post not in best or key > best[post][:2]:
                best[post] = (score, -len(reply), reply, (row.get("focus") or "").strip())
    posts = sorted(best)
    random.Random(7).shuffle(posts)
    chosen = [p for p in posts if _gentle(screen_text(p))]
    return tuple(
        PracticePost(
            number=i + 1,
            focus=best[p][3],
            focus_label=FOCUS_LABELS.get(best[p][3], best[p][3].replace("-", " ").capitalize()),
            text=p,
            example=best[p][2],
        )
        for i, p in enumerate(chosen)
    )
