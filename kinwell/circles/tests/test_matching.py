import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kinwell.circles.focus import focus_areas, load_focus_areas
from kinwell.circles.matching import (
    ExistingCircle,
    MatchInputError,
    Member,
    Request,
    match,
)

ROOT = Path(__file__).resolve().parents[3]


def req(ident, slots=("mon-19",), offset=0.0, stage="middle", exclude=(), focus="grief", lang="en"):
    return Request(
        id=ident,
        focus=focus,
        language=lang,
        utc_offset=float(offset),
        slots=frozenset(slots),
        stage=stage,
        exclude=frozenset(exclude),
    )


def circle(ident, size, slot="mon-19", exclude=None, offset=None, stage=None, focus="grief"):
    exclude = exclude or {}
    members = tuple(
        Member(
            id=f"{ident}-m{i}",
            exclude=frozenset(exclude.get(i, ())),
            utc_offset=offset,
            stage=stage,
        )
        for i in range(size)
    )
    return ExistingCircle(
        id=ident, focus=focus, language="en", slot=slot, members=members, size=size
    )


def assert_valid(requests, existing, result):
    """Every hard rule, checked independently of the engine."""
    by_id = {r.id: r for r in requests}
    circles = {c.id: c for c in existing}

    def excluded(a_id, a_exclude, b_id, b_exclude):
        return b_id in a_exclude or a_id in b_exclude

    placed = []
    for new in result.circles:
        people = [by_id[m] for m in new.members]
        assert not new.existing
        assert 5 <= len(people) <= 8
        assert new.size == len(people)
        assert all(p.focus == new.focus and p.language == new.language for p in people)
        assert all(new.slot in p.slots for p in people)
        for a in people:
            for b in people:
                if a is not b:
                    assert not excluded(a.id, a.exclude, b.id, b.exclude), (a.id, b.id)
        assert new.has_steady == any(p.stage == "steady" for p in people)
        offsets = [p.utc_offset for p in people]
        assert new.tz_spread == pytest.approx(max(offsets) - min(offsets))
        placed.extend(new.members)
    for added in result.additions:
        target = circles[added.label]
        people = [by_id[m] for m in added.members]
        assert added.existing and people
        assert added.slot == target.slot
        assert 5 <= target.seats_taken + len(people) <= 8
        assert added.size == target.seats_taken + len(people)
        assert all(p.focus == target.focus and p.language == target.language for p in people)
        assert all(target.slot in p.slots for p in people)
        for a in people:
            for b in people:
                if a is not b:
                    assert not excluded(a.id, a.exclude, b.id, b.exclude), (a.id, b.id)
            for m in target.members:
                assert not excluded(a.id, a.exclude, m.id, m.exclude), (a.id, m.id)
        placed.extend(added.members)
    assert len(placed) == len(set(placed)), "someone placed twice"
    assert not set(placed) & set(result.unmatched)
    assert set(placed) | set(result.unmatched) == set(by_id)
    assert len(result.unmatched) == len(set(result.unmatched))


# --- hard rules under random pools ---------------------------------------------------

SLOTS = ["mon-19", "tue-19", "wed-08", "thu-21", "sat-12"]


@st.composite
def pools(draw):
    n = draw(st.integers(0, 40))
    ids = [f"p{i}" for i in range(n)]
    slot_names = SLOTS[: draw(st.integers(1, len(SLOTS)))]
    people = []
    for ident in ids:
        people.append(
            req(
                ident,
                slots=draw(st.sets(st.sampled_from(slot_names), min_size=1, max_size=3)),
                offset=draw(st.sampled_from([-8, -5, 0, 1, 5.5, 9, 12])),
                stage=draw(st.sampled_from(["early", "middle", "steady"])),
                exclude=draw(
                    st.sets(st.sampled_from([*ids, "ghost"]), max_size=3)
                    if draw(st.integers(0, 3)) == 0
                    else st.just(set())
                ),
                focus=draw(st.sampled_from(["grief", "grief", "trauma"])),
                lang=draw(st.sampled_from(["en", "en", "en", "es"])),
            )
        )
    existing = []
    for k in range(draw(st.integers(0, 3))):
        size = draw(st.integers(3, 8))
        exclude = {
            i: draw(st.sets(st.sampled_from(ids), max_size=2)) if ids else set()
            for i in range(size)
            if draw(st.booleans())
        }
        existing.append(
            circle(
                f"x{k}",
                size,
                slot=draw(st.sampled_from(slot_names)),
                exclude=exclude,
                offset=draw(st.sampled_from([None, 0.0, 5.5])),
                stage=draw(st.sampled_from([None, "early", "steady"])),
                focus=draw(st.sampled_from(["grief", "trauma"])),
            )
        )
    # Some requests shun members of existing circles.
    member_ids = [m.id for c in existing for m in c.members]
    if member_ids:
        for i in draw(st.sets(st.integers(0, max(0, n - 1)), max_size=4)) if n else ():
            p = people[i]
            shunned = draw(st.sets(st.sampled_from(member_ids), min_size=1, max_size=2))
            people[i] = req(
                p.id,
                slots=p.slots,
                offset=p.utc_offset,
                stage=p.stage,
                exclude=p.exclude | shunned,
                focus=p.focus,
                lang=p.language,
            )
    return people, existing


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools())
def test_random_pools_never_break_a_hard_rule(pool):
    people, existing = pool
    result = match(people, existing)
    assert_valid(people, existing, result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools())
def test_without_search_the_rules_still_hold(pool):
    people, existing = pool
    assert_valid(people, existing, match(people, existing, effort=0))


# --- placing as many as possible ----------------------------------------------------


def test_ten_people_in_one_slot_make_two_circles_of_five_not_one_of_eight():
    people = [req(f"p{i}", offset=i % 3) for i in range(10)]
    result = match(people)
    assert sorted(len(c.members) for c in result.circles) == [5, 5]
    assert result.unmatched == ()


def test_flexible_people_are_shared_out_so_a_smaller_slot_can_meet():
    # Slot A alone has 10 takers and a greedy taking them all strands the 3 who can only
    # do B; lending 2 of the 4 flexible people to B places all 13.
    people = (
        [req(f"a{i}", slots=["A"]) for i in range(6)]
        + [req(f"b{i}", slots=["B"]) for i in range(3)]
        + [req(f"f{i}", slots=["A", "B"]) for i in range(4)]
    )
    result = match(people, effort=0)
    assert result.unmatched == ()
    assert sorted(c.slot for c in result.circles) == ["A", "B"]


def test_an_excluded_pair_is_split_across_circles_when_there_are_two():
    people = [req(f"p{i}", exclude=["p1"] if i == 0 else ()) for i in range(10)]
    people[2] = req("p2", exclude=["p3"])
    result = match(people)
    assert result.unmatched == ()
    for new in result.circles:
        assert not {"p0", "p1"} <= set(new.members)
        assert not {"p2", "p3"} <= set(new.members)


def test_an_exclusion_in_a_lone_circle_leaves_one_of_the_pair_out():
    people = [req(f"p{i}") for i in range(5)] + [req("p5", exclude=["p0"])]
    result = match(people)
    assert len(result.circles) == 1
    assert len(result.unmatched) == 1 and result.unmatched[0] in {"p0", "p5"}


def test_exclusion_works_in_either_direction_and_unknown_ids_are_ignored():
    people = [req(f"p{i}", exclude=["nobody-here"]) for i in range(5)]
    people[4] = req("p4", exclude=["p0"])
    assert match(people).circles == ()
    people[4] = req("p4", exclude=["ghost"])
    assert len(match(people).circles) == 1


def test_focus_and_language_are_never_mixed():
    people = [req(f"g{i}") for i in range(3)] + [req(f"t{i}", focus="trauma") for i in range(3)]
    people += [req(f"s{i}", lang="es") for i in range(3)]
    result = match(people)
    assert result.circles == ()
    assert len(result.unmatched) == 9


def test_people_in_no_shared_slot_are_not_put_together():
    people = [req(f"p{i}", slots=[f"slot-{i}"]) for i in range(8)]
    assert match(people).circles == ()


# --- existing circles -----------------------------------------------------------------


def test_existing_circles_with_space_are_filled_before_new_ones_are_formed():
    existing = [circle("old", 5)]
    people = [req(f"p{i}") for i in range(8)]
    result = match(people, existing)
    assert len(result.additions) == 1
    assert result.additions[0].label == "old"
    assert len(result.additions[0].members) == 3
    assert result.additions[0].size == 8
    assert [len(c.members) for c in result.circles] == [5]
    assert result.unmatched == ()


def test_a_few_newcomers_join_an_existing_circle_instead_of_waiting():
    existing = [circle("old", 6, slot="tue-19")]
    people = [req("a", slots=["tue-19", "mon-19"]), req("b", slots=["tue-19"])]
    result = match(people, existing)
    assert result.circles == ()
    assert result.additions[0].members == ("a", "b")


def test_existing_seats_give_way_only_when_that_places_more_people():
    # Two seats in the old circle would strand three; a new circle of five places all.
    result = match([req(f"p{i}") for i in range(5)], [circle("old", 6)], effort=0)
    assert result.additions == ()
    assert [len(c.members) for c in result.circles] == [5]
    assert result.unmatched == ()


def test_newcomers_excluded_by_or_excluding_a_member_do_not_join():
    existing = [circle("old", 6, exclude={0: ["a"]})]
    people = [req("a"), req("b", exclude=["old-m3"]), req("c")]
    result = match(people, existing)
    assert result.additions[0].members == ("c",)
    assert set(result.unmatched) == {"a", "b"}


def test_a_full_existing_circle_takes_nobody():
    result = match([req("a")], [circle("full", 8)])
    assert result.additions == ()
    assert result.unmatched == ("a",)


def test_a_circle_below_five_only_takes_enough_people_to_reach_five():
    assert match([req("a")], [circle("small", 3)]).additions == ()
    result = match([req("a"), req("b")], [circle("small", 3)])
    assert result.additions[0].members == ("a", "b")
    assert result.additions[0].size == 5


def test_newcomers_join_the_existing_circle_nearest_in_time_zone():
    existing = [circle("east", 6, slot="A", offset=9.0), circle("west", 6, slot="B", offset=-6.0)]
    people = [
        req("near-west", slots=["A", "B"], offset=-5),
        req("near-east", slots=["A", "B"], offset=8),
    ]
    result = match(people, existing)
    joined = {c.label: c.members for c in result.additions}
    assert joined == {"east": ("near-east",), "west": ("near-west",)}


def test_an_existing_circle_without_a_steady_member_gets_one_first():
    existing = [circle("old", 7, stage="early")]
    people = [req("early", stage="early"), req("steady", stage="steady")]
    result = match(people, existing)
    assert result.additions[0].members == ("steady",)
    assert result.additions[0].has_steady


def test_a_request_that_is_already_a_member_is_refused():
    with pytest.raises(MatchInputError):
        match([req("old-m0")], [circle("old", 5)])


def test_duplicate_request_ids_are_refused():
    with pytest.raises(MatchInputError):
        match([req("a"), req("a")])


# --- preferences ----------------------------------------------------------------------


def test_circles_are_cut_by_time_zone_when_there_is_a_clear_choice():
    people = [req(f"p{i:02d}", offset=-5 if i % 2 else 8) for i in range(10)]
    result = match(people)
    assert len(result.circles) == 2
    assert [c.tz_spread for c in result.circles] == [0.0, 0.0]


def test_each_circle_gets_a_steady_member_when_there_are_enough():
    # Both steady members sit at the lowest offsets, so a cut by offset alone would put
    # them in the same circle.
    people = [
        req(f"p{i}", offset=i * 0.25, stage="steady" if i < 2 else "early") for i in range(10)
    ]
    result = match(people)
    assert len(result.circles) == 2
    assert all(c.has_steady for c in result.circles)


def test_a_steady_member_is_not_moved_across_the_world_for_the_preference():
    people = [req(f"w{i}", offset=-8, stage="steady" if i < 2 else "early") for i in range(5)]
    people += [req(f"e{i}", offset=9, stage="early") for i in range(5)]
    result = match(people)
    assert sorted(c.has_steady for c in result.circles) == [False, True]
    assert [c.tz_spread for c in result.circles] == [0.0, 0.0]


# --- determinism ----------------------------------------------------------------------


def _random_pool(seed, n=60):
    rng = random.Random(seed)
    return [
        req(
            f"p{i}",
            slots=rng.sample(SLOTS, rng.randint(1, 2)),
            offset=rng.choice([-5, 0, 1, 9]),
            stage=rng.choice(["early", "middle", "steady"]),
            exclude=[f"p{rng.randrange(n)}"] if rng.random() < 0.2 else (),
            focus=rng.choice(["grief", "trauma"]),
        )
        for i in range(n)
    ]


def test_same_pool_in_any_order_gives_the_same_circles():
    pool = _random_pool(3)
    first = match(pool)
    shuffled = list(pool)
    random.Random(9).shuffle(shuffled)
    assert match(shuffled) == first
    assert match(pool) == first
    assert [c.label for c in first.circles] == [f"c{i}" for i in range(1, len(first.circles) + 1)]


def test_the_engine_does_not_import_django():
    code = (
        "import sys, kinwell.circles.matching; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0


# --- focus areas ----------------------------------------------------------------------


def test_the_shipped_focus_areas_cover_the_product_list():
    slugs = {a.slug for a in focus_areas()}
    assert {
        "trauma",
        "compulsive-sexual-behaviour",
        "compulsive-behaviour",
        "grief",
        "loneliness",
        "relationships",
        "addiction-recovery",
    } <= slugs
    assert all(a.name and a.description.endswith(".") for a in focus_areas())


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"version": 2, "focus_areas": []}), '"version" must be 1'),
        (json.dumps({"version": 1, "focus_areas": []}), "non-empty list"),
        (
            json.dumps({"version": 1, "focus_areas": [{"slug": "grief", "name": "Grief"}]}),
            "focus area 1: missing 'description'",
        ),
        (
            json.dumps(
                {
                    "version": 1,
                    "focus_areas": [{"slug": "g", "name": "G", "description": "D."}] * 2,
                }
            ),
            "focus area 2: slug 'g' appears twice",
        ),
        (
            json.dumps(
                {
                    "version": 1,
                    "focus_areas": [{"slug": "Big Bad", "name": "G", "description": "D"}],
                }
            ),
            "focus area 1: slug 'Big Bad'",
        ),
    ],
)
def test_a_broken_focus_area_file_fails_naming_the_file_and_problem(tmp_path, content, problem):
    path = tmp_path / "focus_areas.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImproperlyConfigured) as caught:
        load_focus_areas(path)
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)


def test_a_missing_focus_area_file_fails_naming_it(tmp_path):
    with pytest.raises(ImproperlyConfigured, match=r"nope\.json"):
        load_focus_areas(tmp_path / "nope.json")
