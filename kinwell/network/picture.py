"""The map as a picture: three rings around "You", every person placed on their ring.

Pure geometry, no database. Layout is deterministic (same people, same picture) and never
overlaps: each ring holds one or more circular tracks, a track holds as many nodes as fit
with a gap between neighbours, and nodes shrink step by step when a ring is crowded.
Colour is never the only cue: each main kind of support also has its own shape.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SIZE = 640
CENTRE = SIZE / 2
YOU_R = 34
# Outer edge of each ring, inner to outer.
RING_EDGES = {1: 125, 2: 215, 3: 305}
# Space kept free inside each ring's outer edge for the ring's name.
LABEL_LANE = 16
GAP = 6
# How far each shape reaches from its centre, in node radii; tracks are spaced for the
# widest, so any two shapes keep at least GAP between them.
REACH = {"circle": 1.0, "ring": 1.0, "square": 0.8 * math.sqrt(2), "diamond": 1.1, "hexagon": 1.08}
MAX_REACH = max(REACH.values())
NODE_SIZES = (20, 18, 16, 14, 12, 10, 8, 6)

# Okabe & Ito's colour-blind-safe palette; dark text on each passes 4.5:1.
STYLES: dict[str | None, dict[str, str]] = {
    "emotional": {"shape": "circle", "colour": "#E69F00", "label": "Emotional support"},
    "practical": {"shape": "square", "colour": "#56B4E9", "label": "Practical support"},
    "informational": {"shape": "diamond", "colour": "#009E73", "label": "Information"},
    "companionship": {"shape": "hexagon", "colour": "#CC79A7", "label": "Company"},
    None: {"shape": "ring", "colour": "#FFFFFF", "label": "No support noted yet"},
}


@dataclass(frozen=True)
class Node:
    person: Any
    x: float
    y: float
    r: float
    shape: str
    colour: str
    points: str  # polygon points for square, diamond and hexagon; "" for circles
    initials: str
    font_size: float


def _inner_edge(circle: int) -> float:
    return YOU_R if circle == 1 else RING_EDGES[circle - 1]


def _tracks(circle: int, r: float) -> list[tuple[float, int]]:
    """(radius, capacity) of each track a ring has room for with nodes of radius r,
    outermost first."""
    spacing = 2 * r * MAX_REACH + GAP
    low = _inner_edge(circle) + spacing / 2
    high = RING_EDGES[circle] - LABEL_LANE - spacing / 2
    tracks = []
    radius = low
    while radius <= high + 1e-9:
        # The chord between neighbours must be at least `spacing`.
        ratio = spacing / (2 * radius)
        capacity = int(math.pi / math.asin(ratio)) if ratio < 1 else 1
        tracks.append((radius, capacity))
        radius += spacing
    return list(reversed(tracks))


def _node_size(counts: dict[int, int]) -> float:
    for r in NODE_SIZES:
        if all(sum(c for _, c in _tracks(circle, r)) >= n for circle, n in counts.items()):
            return r
    return NODE_SIZES[-1]


def initials(alias: str) -> str:
    words = [w for w in alias.split() if w[:1].isalnum()] or alias.split() or ["?"]
    if len(words) >= 2:
        return (words[0][0] + words[1][0]).upper()
    return words[0][:2].capitalize()


def _polygon(shape: str, x: float, y: float, r: float) -> str:
    if shape == "square":
        s = r * 0.8  # corners reach 1.13 r
        corners = [(x - s, y - s), (x + s, y - s), (x + s, y + s), (x - s, y + s)]
    elif shape == "diamond":
        s = r * 1.1
        corners = [(x, y - s), (x + s, y), (x, y + s), (x - s, y)]
    elif shape == "hexagon":
        s = r * 1.08
        corners = [
            (x + s * math.cos(math.pi / 3 * k), y + s * math.sin(math.pi / 3 * k)) for k in range(6)
        ]
    else:
        return ""
    return " ".join(f"{round(px, 1)},{round(py, 1)}" for px, py in corners)


def layout(people: Sequence[Any]) -> dict[str, Any]:
    """Place people (objects with pk, alias, circle and main_support) on their rings."""
    by_circle: dict[int, list[Any]] = {1: [], 2: [], 3: []}
    for person in sorted(people, key=lambda p: (p.circle, p.alias.casefold(), p.pk)):
        by_circle[person.circle].append(person)
    counts = {c: len(members) for c, members in by_circle.items() if members}
    r = _node_size(counts)
    nodes: list[Node] = []
    for circle, members in by_circle.items():
        tracks = _tracks(circle, r)
        if not tracks:
            continue
        # Fill the outer tracks first; beyond capacity (over the designed limit), spread
        # what is left over evenly.
        sizes = []
        left = len(members)
        for _radius, capacity in tracks:
            take = min(left, capacity)
            sizes.append(take)
            left -= take
        if left:
            sizes = [
                s + left // len(tracks) + (i < left % len(tracks)) for i, s in enumerate(sizes)
            ]
        start = 0
        for (radius, _capacity), size in zip(tracks, sizes, strict=True):
            for i, person in enumerate(members[start : start + size]):
                angle = -math.pi / 2 + (i + 0.5) * 2 * math.pi / size
                x = round(CENTRE + radius * math.cos(angle), 1)
                y = round(CENTRE + radius * math.sin(angle), 1)
                style = STYLES[person.main_support]
                nodes.append(
                    Node(
                        person=person,
                        x=x,
                        y=y,
                        r=r,
                        shape=style["shape"],
                        colour=style["colour"],
                        points=_polygon(style["shape"], x, y, r),
                        initials=initials(person.alias),
                        font_size=round(max(7.0, r * 0.78), 1),
                    )
                )
            start += size
    return {
        "size": SIZE,
        "centre": CENTRE,
        "you_r": YOU_R,
        "rings": [
            {
                "circle": circle,
                "r": edge,
                "label_y": CENTRE - edge + LABEL_LANE - 4,
            }
            for circle, edge in sorted(RING_EDGES.items(), reverse=True)
        ],
        "nodes": nodes,
        "node_r": r,
    }


def legend() -> list[dict[str, str]]:
    return [
        {
            "key": key or "none",
            "shape": style["shape"],
            "colour": style["colour"],
            "label": style["label"],
            "points": _polygon(style["shape"], 12, 12, 9),
        }
        for key, style in STYLES.items()
    ]
