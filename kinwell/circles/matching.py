"""The circle matching engine: join requests in, circles of 5-8 out.

Pure Python with no Django import, so the CLI, the benchmark and the app share one engine.

Hard rules, never broken: a circle has one focus and one language; no pair in it where
either excluded the other; it has 5-8 members counting existing ones; everyone in it is
available in its meeting slot. Within those rules the engine places as many people as it
can; seats in existing circles are filled before new circles are formed (a newcomer is
lent from an existing circle to a new one only when that places more people in total);
then it prefers circles with a "steady" member and a small time-zone spread.

How (per focus+language partition, since nothing crosses partitions):
1. seats in existing circles are filled first, least flexible people first;
2. a greedy repeatedly opens the slot with most unplaced people, sorts them by UTC offset
   and cuts them into circles of about 7 (leaving a seat for later joiners), moving people
   between those circles to separate excluded pairs;
3. repairs place leftovers: into circles with room, by taking the place of someone who can
   move elsewhere, or by opening a slot with a few people borrowed from circles above 5;
4. small partitions then run a seeded ruin-and-rebuild search (dissolve a circle or two,
   rebuild, keep what places no fewer), where a leftover of 1-4 people is most costly;
5. finally steady members are swapped into circles that lack one.
Everything is sorted or seeded, so the same input gives the same circles.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from random import Random
from typing import Any

MIN_SIZE = 5
MAX_SIZE = 8
# Cutting at about 7 leaves a seat per circle for someone who asks to join later.
TARGET_SIZE = 7
STAGES = ("early", "middle", "steady")
# A steady member is worth a little spread, not a circle stretched across continents.
STEADY_MAX_EXTRA_SPREAD = 3.0
# The search stops after this many rounds that place nobody more: on the bench's hard
# pools it finds its best within a few dozen rounds, rarely after 100.
SEARCH_PATIENCE = 150
# How many nearby steady members to consider for a circle that lacks one.
STEADY_LOOKS = 48
# Offsets run from UTC-12 to UTC+14.
MIN_OFFSET, MAX_OFFSET = -12.0, 14.0


class MatchInputError(ValueError):
    """A join request or existing circle that breaks the input contract."""


@dataclass(frozen=True, slots=True)
class Request:
    """One member asking to join a circle."""

    id: str
    focus: str
    language: str
    utc_offset: float
    slots: frozenset[str]
    stage: str
    exclude: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise MatchInputError(f"request {self.id}: stage must be one of {', '.join(STAGES)}")
        if not self.slots:
            raise MatchInputError(f"request {self.id}: needs at least one slot")


@dataclass(frozen=True, slots=True)
class Member:
    """A member already in a circle; offset and stage are optional and only feed the
    spread and steady figures reported back."""

    id: str
    exclude: frozenset[str] = frozenset()
    utc_offset: float | None = None
    stage: str | None = None


@dataclass(frozen=True, slots=True)
class ExistingCircle:
    id: str
    focus: str
    language: str
    slot: str
    members: tuple[Member, ...]
    # Seats taken, when that counts people not listed (a facilitator, say); at least
    # len(members).
    size: int | None = None

    @property
    def seats_taken(self) -> int:
        return max(self.size or 0, len(self.members))


@dataclass(frozen=True, slots=True)
class CircleResult:
    """A new circle (``existing`` False, ``label`` c1, c2, …) or the people added to an
    existing one (``label`` is its id; ``members`` are only the newcomers)."""

    label: str
    existing: bool
    focus: str
    language: str
    slot: str
    members: tuple[str, ...]
    size: int
    tz_spread: float
    has_steady: bool


@dataclass(frozen=True, slots=True)
class MatchResult:
    additions: tuple[CircleResult, ...]
    circles: tuple[CircleResult, ...]
    unmatched: tuple[str, ...]

    @property
    def placed(self) -> int:
        return sum(len(c.members) for c in self.additions) + sum(
            len(c.members) for c in self.circles
        )


def match(
    requests: Iterable[Request],
    existing: Iterable[ExistingCircle] = (),
    *,
    effort: float = 1.0,
) -> MatchResult:
    """Place requests into existing circles and new circles under the hard rules.

    Exclusions may name ids that are not in the pool; they are ignored. ``effort`` scales
    the search on small partitions (0 turns it off). Raises MatchInputError for duplicate
    request ids, a request that is already a member of a given circle, or a circle whose
    size is below its member count."""
    people = sorted(requests, key=lambda r: r.id)
    for before, after in itertools.pairwise(people):
        if before.id == after.id:
            raise MatchInputError(f"request id {after.id} appears twice")
    circles = sorted(existing, key=lambda c: c.id)
    request_ids = {r.id for r in people}
    for circle in circles:
        if circle.size is not None and circle.size < len(circle.members):
            raise MatchInputError(f"circle {circle.id}: size is below its member count")
        for member in circle.members:
            if member.id in request_ids:
                raise MatchInputError(f"request {member.id} is already in circle {circle.id}")

    groups: dict[tuple[str, str], list[Request]] = {}
    for person in people:
        groups.setdefault((person.focus, person.language), []).append(person)
    circle_groups: dict[tuple[str, str], list[ExistingCircle]] = {}
    for circle in circles:
        circle_groups.setdefault((circle.focus, circle.language), []).append(circle)

    additions: list[CircleResult] = []
    new: list[CircleResult] = []
    unmatched: list[str] = []
    for key in sorted(groups):
        solver = _Partition(groups[key], circle_groups.get(key, []), key)
        part_add, part_new, part_left = solver.solve(effort)
        additions.extend(part_add)
        new.extend(part_new)
        unmatched.extend(part_left)

    new.sort(key=lambda c: (c.focus, c.language, c.slot, c.members))
    labelled = tuple(_relabel(c, f"c{i}") for i, c in enumerate(new, start=1))
    additions.sort(key=lambda c: c.label)
    return MatchResult(tuple(additions), labelled, tuple(sorted(unmatched)))


def _relabel(circle: CircleResult, label: str) -> CircleResult:
    return CircleResult(
        label=label,
        existing=False,
        focus=circle.focus,
        language=circle.language,
        slot=circle.slot,
        members=circle.members,
        size=circle.size,
        tz_spread=circle.tz_spread,
        has_steady=circle.has_steady,
    )


# --- reading the pool (the CLI's input contract) -------------------------------------


def parse_request(row: object) -> Request:
    """One decoded JSON line to a Request. Ids may be strings or integers; they are kept
    as their JSON text (so 7 and "7" stay distinct). Raises MatchInputError with a message
    fit to follow "line N: "."""
    if not isinstance(row, dict):
        raise MatchInputError("expected a JSON object")
    for name in ("id", "focus", "language", "utc_offset", "slots", "stage", "exclude"):
        if name not in row:
            raise MatchInputError(f'missing "{name}"')
    ident = row["id"]
    if not _is_id(ident) or ident == "":
        raise MatchInputError('"id" must be a non-empty string or an integer')
    for name in ("focus", "language"):
        if not isinstance(row[name], str) or not row[name].strip():
            raise MatchInputError(f'"{name}" must be a non-empty string')
    offset = row["utc_offset"]
    if isinstance(offset, bool) or not isinstance(offset, int | float):
        raise MatchInputError('"utc_offset" must be a number of hours')
    if not (math.isfinite(offset) and MIN_OFFSET <= offset <= MAX_OFFSET):
        raise MatchInputError('"utc_offset" must be between -12 and 14')
    slots = row["slots"]
    if not isinstance(slots, list) or not all(isinstance(s, str) and s for s in slots):
        raise MatchInputError('"slots" must be a list of non-empty strings')
    if not slots:
        raise MatchInputError('"slots" must not be empty')
    if row["stage"] not in STAGES:
        raise MatchInputError(f'"stage" must be one of {", ".join(STAGES)}')
    exclude = row["exclude"]
    if not isinstance(exclude, list) or not all(_is_id(x) for x in exclude):
        raise MatchInputError('"exclude" must be a list of ids')
    return Request(
        id=id_key(ident),
        focus=row["focus"],
        language=row["language"],
        utc_offset=float(offset),
        slots=frozenset(slots),
        stage=row["stage"],
        exclude=frozenset(id_key(x) for x in exclude),
    )


def id_key(value: str | int) -> str:
    return json.dumps(value, ensure_ascii=False)


def id_value(key: str) -> Any:
    return json.loads(key)


def _is_id(value: object) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


# --- the solver ------------------------------------------------------------------------

_EMPTY: frozenset[int] = frozenset()


class _Circle:
    __slots__ = ("base", "base_hi", "base_lo", "base_steady", "blocked", "ex", "members", "slot")

    def __init__(
        self,
        slot: int,
        members: list[int],
        ex: ExistingCircle | None = None,
        blocked: frozenset[int] = _EMPTY,
    ) -> None:
        self.slot = slot
        self.members = members  # newcomers only (indices into the partition's people)
        self.ex = ex
        self.blocked = blocked
        self.base = ex.seats_taken if ex else 0
        known = [float(m.utc_offset) for m in ex.members if m.utc_offset is not None] if ex else []
        self.base_lo = min(known) if known else math.inf
        self.base_hi = max(known) if known else -math.inf
        self.base_steady = sum(1 for m in ex.members if m.stage == "steady") if ex else 0

    def copy(self) -> _Circle:
        twin = _Circle.__new__(_Circle)
        twin.slot, twin.members, twin.ex, twin.blocked = (
            self.slot,
            list(self.members),
            self.ex,
            self.blocked,
        )
        twin.base, twin.base_lo, twin.base_hi, twin.base_steady = (
            self.base,
            self.base_lo,
            self.base_hi,
            self.base_steady,
        )
        return twin

    @property
    def size(self) -> int:
        return self.base + len(self.members)

    @property
    def room(self) -> int:
        # An existing circle below the minimum only takes a batch that lifts it to 5
        # (done while filling), never one person at a time.
        size = self.size
        return MAX_SIZE - size if size >= MIN_SIZE else 0

    @property
    def slack(self) -> int:
        """How many newcomers can leave while the circle stays valid."""
        return max(0, self.size - max(MIN_SIZE, self.base)) if self.members else 0


@dataclass
class _State:
    circles: list[_Circle]
    where: list[int]
    by_slot: dict[int, list[int]] = field(default_factory=dict)

    def copy(self) -> _State:
        circles = [c.copy() for c in self.circles]
        return _State(circles, list(self.where), {s: list(v) for s, v in self.by_slot.items()})


class _Partition:
    """All requests of one focus and language, and that partition's existing circles."""

    def __init__(
        self, people: list[Request], existing: list[ExistingCircle], key: tuple[str, str]
    ) -> None:
        self.people = people
        self.key = key
        n = len(people)
        self.n = n
        index = {p.id: i for i, p in enumerate(people)}
        slot_names = sorted({s for p in people for s in p.slots} | {c.slot for c in existing})
        slot_index = {s: i for i, s in enumerate(slot_names)}
        self.slot_names = slot_names
        # float(): a model's DecimalField must not meet float arithmetic below.
        self.off = [float(p.utc_offset) for p in people]
        self.steady = [p.stage == "steady" for p in people]
        self.pslots = [tuple(sorted(slot_index[s] for s in p.slots)) for p in people]
        conf: dict[int, set[int]] = {}
        for i, p in enumerate(people):
            for other in p.exclude:
                j = index.get(other)
                if j is not None and j != i:
                    conf.setdefault(i, set()).add(j)
                    conf.setdefault(j, set()).add(i)
        self.conf: list[frozenset[int]] = [frozenset(conf.get(i, ())) for i in range(n)]
        self.avail: list[list[int]] = [[] for _ in slot_names]
        for i in sorted(range(n), key=lambda i: (self.off[i], i)):
            for s in self.pslots[i]:
                self.avail[s].append(i)
        # Existing circles: who may not join each (either side excluded the other).
        member_circle: dict[str, list[int]] = {}
        for ci, circle in enumerate(existing):
            for m in circle.members:
                member_circle.setdefault(m.id, []).append(ci)
        blocked: list[set[int]] = [set() for _ in existing]
        for ci, circle in enumerate(existing):
            for m in circle.members:
                for other in m.exclude:
                    j = index.get(other)
                    if j is not None:
                        blocked[ci].add(j)
        for i, p in enumerate(people):
            for other in p.exclude:
                for ci in member_circle.get(other, ()):
                    blocked[ci].add(i)
        self.existing = [
            _Circle(slot_index[c.slot], [], c, frozenset(b))
            for c, b in zip(existing, blocked, strict=True)
        ]

    # -- small helpers --

    def _fits(self, p: int, circle: _Circle, without: int = -1) -> bool:
        if p in circle.blocked:
            return False
        conf = self.conf[p]
        if not conf:
            return True
        return all(m == without or m not in conf for m in circle.members)

    def _spread(self, circle: _Circle, extra: int = -1, without: int = -1) -> float:
        lo, hi = circle.base_lo, circle.base_hi
        off = self.off
        for m in circle.members:
            if m != without:
                o = off[m]
                lo = o if o < lo else lo
                hi = o if o > hi else hi
        if extra >= 0:
            o = off[extra]
            lo = o if o < lo else lo
            hi = o if o > hi else hi
        return hi - lo if hi >= lo else 0.0

    def _steady_count(self, circle: _Circle) -> int:
        return circle.base_steady + sum(1 for m in circle.members if self.steady[m])

    def _center(self, members: list[int]) -> float:
        offs = sorted(self.off[m] for m in members)
        return offs[len(offs) // 2] if offs else 0.0

    def _add_circle(self, st: _State, circle: _Circle) -> int:
        ci = len(st.circles)
        st.circles.append(circle)
        st.by_slot.setdefault(circle.slot, []).append(ci)
        for m in circle.members:
            st.where[m] = ci
        return ci

    def _place(self, st: _State, p: int, ci: int) -> None:
        st.circles[ci].members.append(p)
        st.where[p] = ci

    def _unplace(self, st: _State, p: int) -> None:
        st.circles[st.where[p]].members.remove(p)
        st.where[p] = -1

    # -- solve --

    def solve(self, effort: float) -> tuple[list[CircleResult], list[CircleResult], list[str]]:
        st = self._fresh()
        self._fill_existing(st, None)
        self._greedy(st, None)
        self._repair(st)
        rounds = int(effort * min(300, 12000 // max(self.n, 1))) if self.n <= 2000 else 0
        if rounds and self._score(st)[0] < self._placeable():
            st = self._search(st, rounds)
        self._balance_steady(st)
        return self._results(st)

    def _fresh(self) -> _State:
        st = _State([], [-1] * self.n)
        for circle in self.existing:
            self._add_circle(st, circle.copy())
        return st

    def _placeable(self) -> int:
        """An upper bound on people placed: drop slots fewer than 5 could share (counting
        room in existing circles), then people left without a slot, until nothing changes."""
        room = [0] * len(self.slot_names)
        for circle in self.existing:
            room[circle.slot] += max(0, MAX_SIZE - circle.base)
        alive = [True] * self.n
        open_slot = [True] * len(self.slot_names)
        changed = True
        while changed:
            changed = False
            for s, people in enumerate(self.avail):
                if open_slot[s] and room[s] == 0 and sum(alive[p] for p in people) < MIN_SIZE:
                    open_slot[s] = False
                    changed = True
            for p in range(self.n):
                if alive[p] and not any(open_slot[s] for s in self.pslots[p]):
                    alive[p] = False
                    changed = True
        return sum(alive)

    def _score(self, st: _State) -> tuple[int, int, float]:
        placed = sum(1 for w in st.where if w >= 0)
        into_existing = sum(len(c.members) for c in st.circles if c.ex is not None)
        spread = sum(self._spread(c) for c in st.circles if c.members)
        return placed, into_existing, -round(spread, 6)

    def _search(self, best: _State, rounds: int) -> _State:
        """Ruin and rebuild: dissolve a circle or two, rebuild, keep what places no fewer.
        Seeded by the partition, so the outcome is reproducible."""
        rng = Random(f"{self.key[0]}\x00{self.key[1]}\x00{self.n}")
        best_score = self._score(best)
        current, current_score = best, best_score
        bound = self._placeable()
        stale = 0
        for _ in range(rounds):
            stale += 1
            if stale > SEARCH_PATIENCE:
                break
            st = current.copy()
            self._ruin(st, rng)
            self._fill_existing(st, rng)
            self._greedy(st, rng)
            self._repair(st)
            score = self._score(st)
            if score[:2] >= current_score[:2]:
                current, current_score = st, score
                if score[0] > best_score[0]:
                    stale = 0
                if score > best_score:
                    best, best_score = st, score
                    if score[0] >= bound:
                        break
        return best

    def _ruin(self, st: _State, rng: Random) -> None:
        live = [ci for ci, c in enumerate(st.circles) if c.members]
        if not live:
            return
        left = [p for p, w in enumerate(st.where) if w < 0]
        targets: set[int] = set()
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            if left and rng.random() < 0.7:
                # Aim at circles holding someone who could meet where a leftover could.
                p = rng.choice(left)
                near = [
                    st.where[q]
                    for s in self.pslots[p]
                    for q in self.avail[s]
                    if st.where[q] >= 0 and st.circles[st.where[q]].members
                ]
                if near:
                    targets.add(rng.choice(near))
                    continue
            targets.add(rng.choice(live))
        for ci in sorted(targets):
            circle = st.circles[ci]
            for m in list(circle.members):
                st.where[m] = -1
            circle.members.clear()

    def _fill_existing(self, st: _State, rng: Random | None) -> None:
        """Seat unplaced people in existing circles with room before anything is formed.

        Pairs (person, circle) are taken best first: a circle lacking a steady member gets
        one first, then people with fewest slots (they have least chance elsewhere), then
        the circle nearest in time zone."""
        noise = rng.random if rng is not None else (lambda: 0.0)
        pairs: list[tuple[bool, float, float, int, int]] = []
        batch: list[int] = []
        for ci, circle in enumerate(st.circles):
            if circle.ex is None or circle.size >= MAX_SIZE:
                continue
            if circle.size < MIN_SIZE:
                if not circle.members:
                    batch.append(ci)
                continue
            known = circle.base_hi >= circle.base_lo
            center = (circle.base_lo + circle.base_hi) / 2 if known else 0.0
            lacks = self._steady_count(circle) == 0
            for p in self.avail[circle.slot]:
                if st.where[p] < 0 and self._fits(p, circle):
                    pairs.append(
                        (
                            not (lacks and self.steady[p]),
                            len(self.pslots[p]) + 2 * noise(),
                            abs(self.off[p] - center) if known else 0.0,
                            p,
                            ci,
                        )
                    )
        pairs.sort()
        for *_, p, ci in pairs:
            circle = st.circles[ci]
            if st.where[p] < 0 and circle.room > 0 and self._fits(p, circle):
                self._place(st, p, ci)
        # A circle below the minimum takes people only if they lift it to 5 at once.
        for ci in batch:
            circle = st.circles[ci]
            pool = [p for p in self.avail[circle.slot] if st.where[p] < 0 and self._fits(p, circle)]
            known = circle.base_hi >= circle.base_lo
            center = (circle.base_lo + circle.base_hi) / 2 if known else self._center(pool)
            pool.sort(
                key=lambda p: (len(self.pslots[p]) + 2 * noise(), abs(self.off[p] - center), p)
            )
            taken: list[int] = []
            for p in pool:
                if circle.size + len(taken) >= MAX_SIZE:
                    break
                if self.conf[p].isdisjoint(taken):
                    taken.append(p)
            if circle.size + len(taken) >= MIN_SIZE:
                for p in taken:
                    self._place(st, p, ci)

    def _greedy(self, st: _State, rng: Random | None) -> None:
        """Open the slot with most unplaced people, cut them into circles, repeat."""
        where = st.where
        counts = [sum(1 for p in people if where[p] < 0) for people in self.avail]
        opened = [False] * len(counts)
        while True:
            best, best_key = -1, -1.0
            for s, count in enumerate(counts):
                if opened[s] or count < MIN_SIZE:
                    continue
                key = float(count) if rng is None else count * (0.6 + 0.8 * rng.random())
                if key > best_key:
                    best, best_key = s, key
            if best < 0:
                return
            opened[best] = True
            group = [p for p in self.avail[best] if where[p] < 0]
            for circle in self._cut(group, best, counts):
                self._add_circle(st, circle)
                for p in circle.members:
                    for t in self.pslots[p]:
                        counts[t] -= 1

    def _circle_count(self, n: int) -> int:
        return max(math.ceil(n / MAX_SIZE), min(n // MIN_SIZE, math.ceil(n / TARGET_SIZE)))

    def _cut(self, group: list[int], slot: int, counts: list[int] | None = None) -> list[_Circle]:
        """Split people available in ``slot`` (sorted by offset) into valid circles; those
        left out stay unplaced. Neighbours in offset share a circle."""
        group = list(group)
        if len(group) == 2 * MIN_SIZE - 1:
            # Nine people make one circle of 8 or none of two; leave out the one most
            # likely to be placed elsewhere, then the farthest in time zone.
            center = self._center(group)
            group.remove(
                max(
                    group,
                    key=lambda p: (
                        sum(counts[t] for t in self.pslots[p] if t != slot) if counts else 0,
                        abs(self.off[p] - center),
                        -p,
                    ),
                )
            )
        n = len(group)
        if n < MIN_SIZE:
            return []
        k = self._circle_count(n)
        chunks: list[list[int]] = []
        start = 0
        for i in range(k):
            size = n // k + (1 if i < n % k else 0)
            chunks.append(group[start : start + size])
            start += size
        members = set(group)
        if any(self.conf[p] and not self.conf[p].isdisjoint(members) for p in group):
            chunks = self._separate(chunks)
        return [_Circle(slot, chunk) for chunk in chunks if len(chunk) >= MIN_SIZE]

    def _separate(self, chunks: list[list[int]]) -> list[list[int]]:
        """Move people between same-slot chunks until no chunk holds an excluded pair;
        whoever cannot be seated is left out, and chunks below 5 are dissolved."""
        conf, off = self.conf, self.off
        out: list[int] = []
        for ci, chunk in enumerate(chunks):
            while True:
                bad = [m for m in chunk if conf[m] and not conf[m].isdisjoint(chunk)]
                if not bad:
                    break
                center = self._center(chunk)
                b = max(bad, key=lambda m: (len(conf[m].intersection(chunk)), abs(off[m] - center)))
                chunk.remove(b)
                best: tuple[float, int, int] | None = None
                for dj, other in enumerate(chunks):
                    if dj == ci:
                        continue
                    if conf[b].isdisjoint(other) and len(other) < MAX_SIZE:
                        cost = abs(off[b] - self._center(other)) + 0.5
                        if best is None or cost < best[0]:
                            best = (cost, dj, -1)
                    for c in other:
                        if all(x == c or x not in conf[b] for x in other) and conf[c].isdisjoint(
                            chunk
                        ):
                            cost = abs(off[b] - off[c])
                            if best is None or cost < best[0]:
                                best = (cost, dj, c)
                if best is None:
                    out.append(b)
                    continue
                _, dj, c = best
                if c >= 0:
                    chunks[dj].remove(c)
                    chunk.append(c)
                chunks[dj].append(b)
        # Undersized chunks take from chunks above 5, else dissolve into the rest.
        for chunk in chunks:
            while 0 < len(chunk) < MIN_SIZE:
                donor = next(
                    (
                        (other, m)
                        for other in chunks
                        if len(other) > MIN_SIZE
                        for m in other
                        if conf[m].isdisjoint(chunk)
                    ),
                    None,
                )
                if donor is None:
                    out.extend(chunk)
                    chunk.clear()
                    break
                donor[0].remove(donor[1])
                chunk.append(donor[1])
        kept = [c for c in chunks if c]
        for p in sorted(out, key=lambda p: (off[p], p)):
            home = [c for c in kept if len(c) < MAX_SIZE and conf[p].isdisjoint(c)]
            if home:
                min(home, key=lambda c: (abs(off[p] - self._center(c)), len(c))).append(p)
        for chunk in kept:
            chunk.sort(key=lambda p: (off[p], p))
        return kept

    # -- repairs --

    def _repair(self, st: _State) -> None:
        for _ in range(50):
            changed = self._insert(st)
            changed = self._swap_in(st) or changed
            changed = self._borrow(st) or changed
            if not changed:
                return

    def _left(self, st: _State) -> list[int]:
        return sorted(
            (p for p, w in enumerate(st.where) if w < 0), key=lambda p: (len(self.pslots[p]), p)
        )

    def _insert(self, st: _State) -> bool:
        """Seat leftovers in circles with room, where the spread grows least."""
        changed = False
        for p in self._left(st):
            best: tuple[float, int, int] | None = None
            for s in self.pslots[p]:
                for ci in st.by_slot.get(s, ()):
                    circle = st.circles[ci]
                    if circle.room <= 0 or (not circle.members and circle.ex is None):
                        continue
                    if not self._fits(p, circle):
                        continue
                    grow = self._spread(circle, extra=p) - self._spread(circle)
                    option = (grow, circle.size, ci)
                    if best is None or option < best:
                        best = option
            if best is not None:
                self._place(st, p, best[2])
                changed = True
        return changed

    def _swap_in(self, st: _State) -> bool:
        """A leftover takes the seat of a newcomer who can move to another circle."""
        changed = False
        for p in self._left(st):
            done = False
            for s in self.pslots[p]:
                for ci in st.by_slot.get(s, ()):
                    circle = st.circles[ci]
                    if not circle.members or p in circle.blocked:
                        continue
                    for q in circle.members:
                        if not self._fits(p, circle, without=q):
                            continue
                        target = self._home_for(st, q, avoid=ci)
                        if target < 0:
                            continue
                        self._unplace(st, q)
                        self._place(st, q, target)
                        self._place(st, p, ci)
                        done = changed = True
                        break
                    if done:
                        break
                if done:
                    break
        return changed

    def _home_for(self, st: _State, q: int, avoid: int) -> int:
        for s in self.pslots[q]:
            for ci in st.by_slot.get(s, ()):
                if ci == avoid:
                    continue
                circle = st.circles[ci]
                if circle.room > 0 and (circle.members or circle.ex) and self._fits(q, circle):
                    return ci
        return -1

    def _borrow(self, st: _State) -> bool:
        """Open a slot for a few leftovers with people borrowed from elsewhere.

        A new circle lends while its slot's new circles keep 5 or more people between
        them (they are cut again when one drops below 5); an existing circle lends only
        people it gained and never drops below 5."""
        changed = False
        left_at: dict[int, list[int]] = {}
        for p in self._left(st):
            for s in self.pslots[p]:
                left_at.setdefault(s, []).append(p)
        order = sorted(left_at, key=lambda s: (-len(left_at[s]), s))
        for s in order:
            group = sorted(
                (p for p in left_at[s] if st.where[p] < 0), key=lambda p: (self.off[p], p)
            )
            if not group:
                continue
            if len(group) >= MIN_SIZE:
                for circle in self._cut(group, s):
                    self._add_circle(st, circle)
                    changed = True
                continue
            core: list[int] = []
            for p in sorted(group, key=lambda p: (len(self.conf[p]), p)):
                if self.conf[p].isdisjoint(core):
                    core.append(p)
            if self._lend(st, s, core):
                changed = True
        return changed

    def _lend(self, st: _State, slot: int, core: list[int]) -> bool:
        need = MIN_SIZE - len(core)
        center = self._center(core)
        left_in: dict[int, int] = {}  # slot of new circles, or ~index of an existing one
        donors: list[int] = []
        candidates = sorted(
            (q for q in self.avail[slot] if st.where[q] >= 0),
            key=lambda q: (abs(self.off[q] - center), q),
        )
        for q in candidates:
            circle = st.circles[st.where[q]]
            if circle.ex is None:
                key = circle.slot
                if key not in left_in:
                    left_in[key] = self._slot_total(st, key)
                floor = MIN_SIZE
            else:
                key = ~st.where[q]
                left_in.setdefault(key, len(circle.members))
                floor = len(circle.members) - circle.slack
            if left_in[key] - 1 < floor:
                continue
            if not self.conf[q].isdisjoint(core) or not self.conf[q].isdisjoint(donors):
                continue
            donors.append(q)
            left_in[key] -= 1
            if len(donors) == need:
                break
        if len(donors) < need:
            return False
        # Slots whose new circles would fall below 5 are cut again; only if that seats
        # everyone who stays does the loan go ahead.
        lent = set(donors)
        recut: dict[int, list[_Circle]] = {}
        for q in donors:
            circle = st.circles[st.where[q]]
            if circle.ex is not None or circle.slot in recut:
                continue
            live = [
                st.circles[ci] for ci in st.by_slot.get(circle.slot, ()) if not st.circles[ci].ex
            ]
            if all(sum(m not in lent for m in c.members) >= MIN_SIZE for c in live if c.members):
                continue
            staying = sorted(
                (m for c in live for m in c.members if m not in lent),
                key=lambda p: (self.off[p], p),
            )
            circles = self._cut(staying, circle.slot)
            if sum(len(c.members) for c in circles) < len(staying):
                return False
            recut[circle.slot] = circles
        for q in donors:
            self._unplace(st, q)
        for t, circles in recut.items():
            for ci in st.by_slot[t]:
                old = st.circles[ci]
                if old.ex is None:
                    old.members = []
            for circle in circles:
                self._add_circle(st, circle)
        members = sorted(core + donors, key=lambda p: (self.off[p], p))
        self._add_circle(st, _Circle(slot, members))
        return True

    def _slot_total(self, st: _State, slot: int) -> int:
        return sum(
            len(st.circles[ci].members) for ci in st.by_slot.get(slot, ()) if not st.circles[ci].ex
        )

    # -- preferences --

    def _balance_steady(self, st: _State) -> None:
        """Give circles without a steady member one from a circle that has two or more,
        by a move or a swap that keeps every rule and adds at most a little spread."""
        steady_at = [[p for p in people if self.steady[p]] for people in self.avail]
        steady_offs = [[self.off[p] for p in people] for people in steady_at]
        for ri, circle in enumerate(st.circles):
            if not circle.members and circle.ex is None:
                continue
            if circle.size < MIN_SIZE or self._steady_count(circle) > 0:
                continue
            spread = self._spread(circle)
            best: tuple[float, int, int] | None = None
            for q in self._nearest(steady_at[circle.slot], steady_offs[circle.slot], circle):
                di = st.where[q]
                if di < 0 or di == ri:
                    continue
                donor = st.circles[di]
                if self._steady_count(donor) < 2:
                    continue
                if circle.room > 0 and donor.slack > 0 and self._fits(q, circle):
                    cost = self._spread(circle, extra=q) - spread
                    if cost <= STEADY_MAX_EXTRA_SPREAD and (best is None or cost < best[0]):
                        best = (cost, q, -1)
                donor_spread = self._spread(donor)
                for x in circle.members:
                    if self.steady[x] or donor.slot not in self.pslots[x]:
                        continue
                    if not (self._fits(q, circle, without=x) and self._fits(x, donor, without=q)):
                        continue
                    grow_r = self._spread(circle, extra=q, without=x) - spread
                    grow_d = self._spread(donor, extra=x, without=q) - donor_spread
                    if max(grow_r, grow_d) > STEADY_MAX_EXTRA_SPREAD:
                        continue
                    cost = max(grow_r, 0.0) + max(grow_d, 0.0)
                    if best is None or cost < best[0]:
                        best = (cost, q, x)
            if best is None:
                continue
            _, q, x = best
            di = st.where[q]
            self._unplace(st, q)
            if x >= 0:
                self._unplace(st, x)
                self._place(st, x, di)
            self._place(st, q, ri)

    def _nearest(self, people: list[int], offs: list[float], circle: _Circle) -> list[int]:
        """Up to STEADY_LOOKS of ``people`` (offset-sorted) nearest the circle in offset;
        walking outward from the circle's centre keeps the steady pass linear."""
        if circle.members:
            center = self._center(circle.members)
        elif circle.base_hi >= circle.base_lo:
            center = (circle.base_lo + circle.base_hi) / 2
        else:
            center = 0.0
        reach = self._spread(circle) + STEADY_MAX_EXTRA_SPREAD
        left = bisect.bisect_left(offs, center) - 1
        right = left + 1
        found: list[int] = []
        while len(found) < STEADY_LOOKS:
            down = center - offs[left] if left >= 0 else math.inf
            up = offs[right] - center if right < len(offs) else math.inf
            if min(down, up) > reach:
                break
            if down <= up:
                found.append(people[left])
                left -= 1
            else:
                found.append(people[right])
                right += 1
        return found

    def _results(self, st: _State) -> tuple[list[CircleResult], list[CircleResult], list[str]]:
        focus, language = self.key
        additions: list[CircleResult] = []
        new: list[CircleResult] = []
        for circle in st.circles:
            if not circle.members:
                continue
            ids = tuple(sorted(self.people[m].id for m in circle.members))
            result = CircleResult(
                label=circle.ex.id if circle.ex else "",
                existing=circle.ex is not None,
                focus=focus,
                language=language,
                slot=self.slot_names[circle.slot],
                members=ids,
                size=circle.size,
                tz_spread=self._spread(circle),
                has_steady=self._steady_count(circle) > 0,
            )
            (additions if circle.ex else new).append(result)
        left = [self.people[p].id for p, w in enumerate(st.where) if w < 0]
        return additions, new, left


def existing_circle_from_mapping(raw: Mapping[str, Any]) -> ExistingCircle:
    """Build an ExistingCircle from plain data (as a caller might hold it):
    ``{"id", "focus", "language", "slot", "members": [{"id", "exclude", ...}], "size"}``."""
    members = tuple(
        Member(
            id=str(m["id"]),
            exclude=frozenset(str(x) for x in m.get("exclude", ())),
            utc_offset=m.get("utc_offset"),
            stage=m.get("stage"),
        )
        for m in raw["members"]
    )
    return ExistingCircle(
        id=str(raw["id"]),
        focus=str(raw["focus"]),
        language=str(raw["language"]),
        slot=str(raw["slot"]),
        members=members,
        size=raw.get("size"),
    )
