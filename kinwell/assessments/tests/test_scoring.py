"""Every instrument against the reference's worked vectors and the traps it lists."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given, settings
from hypothesis import strategies as st

from kinwell.assessments.instruments import FOLDER, instruments, load_file
from kinwell.assessments.scoring import ScoringError, parse_values, reliable_change, score

ROOT = Path(__file__).resolve().parents[3]


def run(instrument_id: str, values: list) -> dict:
    instrument = instruments()[instrument_id]
    result = score(
        instrument, parse_values(instrument, ",".join("" if v is None else str(v) for v in values))
    )
    return {**result.as_json(), "safety": result.safety, "details": result.details}


def test_all_eight_instruments_load():
    assert set(instruments()) >= {"phq9", "gad7", "pcl5", "mspss", "ucla3", "ecr-r", "brs", "asq"}


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ([0] * 9, 0, "minimal"),
        ([3] * 9, 27, "severe"),
        ([1] * 9, 9, "mild"),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
        ([2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "moderate"),
        ([3, 3, 3, 3, 3, 0, 0, 0, 0], 15, "moderately_severe"),
        ([3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe"),
    ],
)
def test_phq9_sum_and_kroenke_bands(values, total, band):
    result = run("phq9", values)
    assert result["total"] == total
    assert result["band"] == band


def test_phq9_item_9_above_zero_is_a_safety_signal():
    result = run("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert result["safety"] in ("concern", "urgent")
    assert any("9" in f for f in result["flags"])
    assert run("phq9", [3, 3, 3, 3, 3, 3, 3, 3, 0])["safety"] is None


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ([0] * 7, 0, "minimal"),
        ([3] * 7, 21, "severe"),
        ([1] * 7, 7, "mild"),
        ([2, 2, 2, 2, 1, 1, 0], 10, "moderate"),
    ],
)
def test_gad7(values, total, band):
    result = run("gad7", values)
    assert (result["total"], result["band"]) == (total, band)


def test_pcl5_gives_cutoff_and_dsm5_rule_separately():
    ones = run("pcl5", [1] * 20)
    assert ones["total"] == 20
    assert "dsm5_rule_met" not in ones["flags"] and "above_cutoff" not in ones["flags"]
    assert ones["band"] is None  # no published severity bands
    values = [0] * 20
    for i in (1, 6, 8, 9, 15, 16):
        values[i - 1] = 2
    rule_only = run("pcl5", values)
    assert rule_only["total"] == 12
    assert "dsm5_rule_met" in rule_only["flags"] and "above_cutoff" not in rule_only["flags"]
    high = run("pcl5", [2] * 20)
    assert high["total"] == 40 and "above_cutoff" in high["flags"]
    assert high["subscales"] == {"cluster_b": 10, "cluster_c": 4, "cluster_d": 14, "cluster_e": 12}
    cutoff_only = run("pcl5", [4] * 9 + [0] * 11)
    assert "above_cutoff" in cutoff_only["flags"] and "dsm5_rule_met" not in cutoff_only["flags"]


def test_mspss_subscale_and_total_means():
    assert run("mspss", [4] * 12)["subscales"] == {
        "significant_other": 4.0,
        "family": 4.0,
        "friends": 4.0,
    }
    values = [0] * 12
    for i in (1, 2, 5, 10):
        values[i - 1] = 7
    for i in (3, 4, 8, 11):
        values[i - 1] = 1
    for i in (6, 7, 9, 12):
        values[i - 1] = 4
    result = run("mspss", values)
    assert result["subscales"] == {"significant_other": 7.0, "family": 1.0, "friends": 4.0}
    assert result["total"] == 4.0


@pytest.mark.parametrize(("values", "total"), [([1, 1, 1], 3), ([2, 2, 2], 6), ([3, 3, 3], 9)])
def test_ucla3(values, total):
    assert run("ucla3", values)["total"] == total


def test_ecr_r_reverse_keys_and_means():
    all_seven = run("ecr-r", [7] * 36)
    assert all_seven["subscales"] == {"anxiety": 6.33, "avoidance": 3.0}
    assert all_seven["total"] is None and all_seven["band"] is None
    assert run("ecr-r", [4] * 36)["subscales"] == {"anxiety": 4.0, "avoidance": 4.0}
    reverse = {9, 11, 20, 22, 26, 27, 28, 29, 30, 31, 33, 34, 35, 36}
    secure = [7 if i in reverse else 1 for i in range(1, 37)]
    assert run("ecr-r", secure)["subscales"] == {"anxiety": 1.0, "avoidance": 1.0}


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ([5, 1, 5, 1, 5, 1], 5.0, "high"),
        ([3] * 6, 3.0, "normal"),
        ([1, 5, 1, 5, 1, 5], 1.0, "low"),
        ([4, 2, 4, 2, 4, 3], 3.83, "normal"),
        ([5, 1, 5, 2, 4, 2], 4.5, "high"),
    ],
)
def test_brs_mean_after_reversing_2_4_6(values, total, band):
    result = run("brs", values)
    assert (result["total"], result["band"]) == (total, band)


@pytest.mark.parametrize(
    ("values", "band", "safety"),
    [
        ([0, 0, 0, 0, None], "negative", None),
        ([1, 0, 0, 0, 0], "non_acute_positive", "concern"),
        ([0, 0, 1, 0, 1], "acute_positive", "urgent"),
        ([None, 0, 0, 0, 0], "non_acute_positive", "concern"),
        ([0, 1, 0, 0, None], "positive_acuity_unknown", "urgent"),
    ],
)
def test_asq_skip_logic_and_acuity(values, band, safety):
    result = run("asq", values)
    assert result["band"] == band
    assert result["safety"] == safety
    assert result["total"] is None


def test_asq_acuity_without_a_positive_screen_is_refused():
    with pytest.raises(ScoringError, match="item 5"):
        run("asq", [0, 0, 0, 0, 1])


@pytest.mark.parametrize(
    ("instrument_id", "values", "message"),
    [
        ("phq9", "0,1,2", "needs 9 values, got 3"),
        ("phq9", "0,0,0,0,0,0,0,0,4", "item 9: 4 is out of range"),
        ("gad7", "0,0,0,0,0,0,", "item 7 is required"),
        ("brs", "1,2,3,4,5,x", "item 6: 'x' is not a whole number"),
    ],
)
def test_bad_values_name_the_problem(instrument_id, values, message):
    instrument = instruments()[instrument_id]
    with pytest.raises(ScoringError, match=message):
        score(instrument, parse_values(instrument, values))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_valid_answers_score_within_range(data):
    for instrument in instruments().values():
        answers = {}
        for item in instrument.items:
            answers[item.link_id] = data.draw(st.sampled_from(sorted(item.values)))
        if instrument.id == "asq" and not any(answers[i] == 1 for i in "1234"):
            answers["5"] = None
        result = score(instrument, answers)
        values = sorted({o.value for i in instrument.items for o in i.options})
        if result.total is not None:
            n = len(instrument.scoring["total"]["items"])
            high = values[-1] * (n if instrument.scoring["total"]["method"] == "sum" else 1)
            assert values[0] * 0 <= result.total <= high
        for value in result.subscales.values():
            assert value >= 0


def test_reliable_change_uses_the_published_basis():
    pcl5 = instruments()["pcl5"]
    assert reliable_change(pcl5, 50, 30) == "improved"
    assert reliable_change(pcl5, 50, 45) == "no reliable change"
    assert reliable_change(pcl5, 30, 50) == "worsened"
    assert reliable_change(instruments()["ucla3"], 3, 9) in (None, "worsened")


def test_a_malformed_file_fails_loudly_with_its_name(tmp_path):
    data = json.loads((FOLDER / "gad7.json").read_text())
    data["kinwell"]["scoring"]["total"]["items"].append("99")
    bad = tmp_path / "gad7.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(ImproperlyConfigured, match=r"gad7.json: .*unknown items"):
        load_file(bad)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kinwell.cli", "score", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_cli_prints_the_contract_json():
    result = cli("phq9", "1,1,1,1,1,1,1,1,0")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "instrument": "phq9",
        "total": 8,
        "subscales": {},
        "band": "mild",
        "flags": [],
    }
    asq = json.loads(cli("asq", "1,0,0,0,").stdout)
    assert asq["band"] == "positive_acuity_unknown" and asq["total"] is None


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("phq10", "1"), "unknown instrument 'phq10'"),
        (("gad7", "1,2"), "needs 7 values"),
        (("ucla3", "1,2,4"), "item 3: 4 is out of range"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(args, fragment):
    result = cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]


def test_jacobson_truax_when_reliability_and_sd_are_given():
    import dataclasses

    base = instruments()["gad7"]
    meta = {**base.meta, "reliable_change": {"reliability": 0.84, "sd": 5.0, "source": "test"}}
    instrument = dataclasses.replace(base, meta=meta)
    # S_diff = 5 * sqrt(2) * sqrt(1 - 0.84) = 2.83; |RCI| > 1.96 needs a change above 5.54.
    assert reliable_change(instrument, 15, 9) == "improved"
    assert reliable_change(instrument, 15, 10) == "no reliable change"
    assert reliable_change(instrument, 5, 11) == "worsened"
    higher_better = dataclasses.replace(base, meta={**meta, "direction": "higher_is_better"})
    assert reliable_change(higher_better, 15, 9) == "worsened"
