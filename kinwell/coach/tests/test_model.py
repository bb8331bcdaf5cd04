"""The shipped model: same answers as scikit-learn, clear cases right, explanations."""

import json

import pytest

from kinwell.coach import model as coach_model
from kinwell.coach.model import FLAGS, HEADS, MECHANISMS, tokenize
from kinwell.coach.train import CORPUS_DIR, corpus_files, load_rows


@pytest.fixture(scope="module")
def shipped():
    return coach_model.model()


def test_shipped_model_was_trained_on_our_corpus_only(shipped):
    data = json.loads(coach_model.MODEL_FILE.read_text(encoding="utf-8"))
    names = data["meta"]["data"]
    assert names and set(names) <= {p.name for p in corpus_files()}
    assert not any("epitome" in n.lower() for n in names)
    # Retrained since the corpus last changed (all of it, once part A is complete).
    assert data["meta"]["rows"] == len(load_rows(corpus_files()))
    if (CORPUS_DIR / "README.md").exists():
        assert sorted(names) == ["part-a.csv", "part-b.csv"]


@pytest.mark.parametrize(
    ("text", "mechanism", "levels"),
    [
        ("I feel so sad reading this", "emotional_reactions", {2}),
        ("I'm really worried about you.", "emotional_reactions", {2}),
        ("Sending hugs", "emotional_reactions", {1}),
        ("What happened after that?", "explorations", {1, 2}),
        ("How are you doing now?", "explorations", {1, 2}),
        (
            "When you sit in the car after work, what do you feel in that moment?",
            "explorations",
            {2},
        ),
        (
            "Hiding the drinking from your kids must make the shame even heavier, like you "
            "are carrying two secrets at once.",
            "interpretations",
            {2},
        ),
        (
            "It sounds like you feel invisible at home, because everyone leans on you and "
            "nobody asks how you are.",
            "interpretations",
            {2},
        ),
    ],
)
def test_clear_cases_get_their_level(shipped, text, mechanism, levels):
    assert shipped.predict(text).levels[mechanism] in levels


@pytest.mark.parametrize("text", ["ok", "Thanks"])
def test_a_bare_acknowledgement_scores_zero_everywhere(shipped, text):
    assert shipped.predict(text).levels == dict.fromkeys(MECHANISMS, 0)


def test_a_statement_is_not_an_exploration(shipped):
    # "feel" pushes towards exploration inside a question, not in a statement.
    text = "It sounds like you feel abandoned now that the person who always picked up is gone."
    assert shipped.predict(text).levels["explorations"] == 0


def test_empty_reply_rates_zero():
    assert coach_model.rate("") == dict.fromkeys(MECHANISMS, 0)
    assert coach_model.rate("   \n") == dict.fromkeys(MECHANISMS, 0)


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("You should just delete the app and go for a run.", "advice"),
        ("Just get a blocker on your phone and delete the apps.", "advice"),
        ("At least you still have your kids. Others have it worse.", "minimising"),
        ("It's not a big deal, everyone goes through breakups.", "minimising"),
        ("That's on you for lying to her.", "judgement"),
        ("Honestly that's pretty selfish of you.", "judgement"),
        (
            "I had the exact same thing last year. My boss was awful and I quit and moved to "
            "Spain, best decision I ever made. Now I surf every morning and I've never been "
            "happier. My wife loves it too.",
            "self_focus",
        ),
    ],
)
def test_flags_on_clear_cases(shipped, text, flag):
    assert shipped.predict(text).flags[flag]


def test_a_warm_reply_raises_no_flag(shipped):
    text = "I'm so sorry. That sounds exhausting. What has been the hardest part this week?"
    assert not any(shipped.predict(text).flags.values())


def test_explain_points_at_the_words_that_drove_each_prediction(shipped):
    text = "I feel so sad reading this. What has been the hardest part for you?"
    prediction, phrases = shipped.explain(text)
    assert set(phrases) == set(HEADS)
    er = " ".join(p.text for p in phrases["emotional_reactions"]).lower()
    ex = " ".join(p.text for p in phrases["explorations"]).lower()
    assert "sad" in er
    assert "hardest" in ex or "what" in ex
    for found in phrases.values():
        for phrase in found:
            assert text[phrase.start : phrase.end] == phrase.text
    assert [p.weight for p in phrases["emotional_reactions"]] == sorted(
        (p.weight for p in phrases["emotional_reactions"]), reverse=True
    )
    assert coach_model.explain(text)["advice"] == phrases["advice"]
    assert prediction == shipped.predict(text)


def test_explain_points_at_the_flagged_words(shipped):
    _, phrases = shipped.explain("At least you still have your kids.")
    assert "least" in " ".join(p.text for p in phrases["minimising"]).lower()


def test_tokens_keep_offsets_into_the_original_text():
    text = "İt’s “OK”? Don’t — worry!\nReally."
    folded = coach_model.fold(text)
    assert len(folded) == len(text)
    for token in tokenize(text):
        if token.text != ".":
            assert folded[token.start : token.end] == token.text
    assert [t.text for t in tokenize("Don’t worry?")] == ["don't", "worry", "?"]


def test_odd_input_never_breaks_the_model(shipped):
    for text in ["<script>alert(1)</script>", "😢😢😢", "a" * 20000, "\x00\x01", "??!!.."]:
        prediction = shipped.predict(text)
        assert set(prediction.levels) == set(MECHANISMS)
        assert set(prediction.flags) == set(FLAGS)


# --------------------------------------------------------------- same as scikit-learn


def test_runtime_inference_equals_scikit_learn(tmp_path):
    pytest.importorskip("sklearn")
    from kinwell.coach import train

    rows = load_rows([CORPUS_DIR / "part-b.csv"])
    fitted = train.fit(rows[::3], train.DEFAULT)
    data = train.export(fitted)  # rounds the fitted model's numbers in place
    path = tmp_path / "model.json"
    train.write(data, path)
    runtime = coach_model.load(path)
    sample = [*[r["text"] for r in rows[1::3]][:300], "", "ok", "What happened?"]
    expected = fitted.predict(sample)
    probabilities = fitted.predict_proba(sample)
    for i, text in enumerate(sample):
        got = runtime.predict(text)
        for name in MECHANISMS:
            assert got.levels[name] == expected[name][i], (name, text)
            for p, q in zip(got.probabilities[name], probabilities[name][i], strict=True):
                assert abs(p - q) < 1e-9
        for name in FLAGS:
            assert int(got.flags[name]) == expected[name][i], (name, text)
            assert abs(got.flag_probabilities[name] - probabilities[name][i][1]) < 1e-9


def test_a_design_with_character_ngrams_also_matches_scikit_learn(tmp_path):
    pytest.importorskip("sklearn")
    from dataclasses import replace

    from kinwell.coach import train

    rows = load_rows([CORPUS_DIR / "part-b.csv"])
    design = replace(train.DEFAULT, char_range=(2, 5), char_weight=0.5, max_char=3000)
    fitted = train.fit(rows[::5], design)
    path = tmp_path / "model.json.gz"
    train.write(train.export(fitted), path)
    runtime = coach_model.load(path)
    sample = [r["text"] for r in rows[2::5]][:100]
    probabilities = fitted.predict_proba(sample)
    for i, text in enumerate(sample):
        got = runtime.predict(text)
        for name in MECHANISMS:
            for p, q in zip(got.probabilities[name], probabilities[name][i], strict=True):
                assert abs(p - q) < 1e-9
