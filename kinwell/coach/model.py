"""The empathy coach's model: linear classifiers over TF-IDF n-grams, run in pure Python.

It rates a reply on the three empathy mechanisms of the EPITOME framework (Sharma et al.,
EMNLP 2020) — emotional reactions, interpretations and explorations, each 0 (none),
1 (a little) or 2 (strong) — and flags four habits that tend to close a conversation:
advice-giving, minimising, judgement and turning the talk to oneself.

Design (chosen by grouped cross-validation on our own corpus; see ``RESULTS.md``):

* features: TF-IDF (sublinear tf, smooth idf, L2-normalised) of the reply's word 1- and
  2-grams, plus the words of its questions marked as such ("q:feel"), because "feel" in
  "how do you feel?" explores while in "I feel sad" it does not. Character n-grams are
  supported (``char_range``) but did not help, so the shipped model has none;
* one multinomial logistic regression per mechanism and one binary logistic regression
  per flag (class-balanced, C=4), trained by :mod:`kinwell.coach.train` with
  scikit-learn and exported to ``model/coach_model.json``.

scikit-learn and numpy are not needed here: this module recomputes the same features
with the same code the trainer handed to scikit-learn, so the two agree to rounding
(tested). Every prediction can be explained: :func:`explain` spreads each feature's
contribution back over the words it came from and returns the phrases that pushed the
prediction most.

The model never learns from EPITOME: that data is for non-commercial research only, so
it is used solely to evaluate (``bench/coach.py``).
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from operator import mul
from pathlib import Path
from typing import Any

MECHANISMS: tuple[str, ...] = ("emotional_reactions", "interpretations", "explorations")
FLAGS: tuple[str, ...] = ("advice", "minimising", "judgement", "self_focus")
HEADS: tuple[str, ...] = MECHANISMS + FLAGS
LEVEL_NAMES: tuple[str, ...] = ("none", "a little", "strong")
MODEL_FILE = Path(__file__).parent / "model" / "coach_model.json"
FORMAT = "kinwell-coach-linear/1"

# --------------------------------------------------------------------------- features

# Typographic quotes and dashes fold to ASCII, one character for one character, so token
# offsets in the folded text are offsets in the original (needed to highlight phrases).
_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
    }
)
_TOKEN_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[?!]|[.;\n]")
# Sentence ends that are not features themselves ("." would add little but noise).
_BOUNDARY = "."


def fold(text: str) -> str:
    """Lower-case with quotes unified; always the same length as ``text``."""
    folded = text.translate(_FOLD)
    lowered = folded.lower()
    if len(lowered) != len(folded):  # a few letters lower-case to two characters ("İ")
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)
    return lowered


@dataclass(frozen=True)
class Token:
    text: str  # folded form
    start: int  # offsets in the original text
    end: int


def tokenize(text: str) -> list[Token]:
    """Words (with inner apostrophes kept: "don't", "you're"), "?" and "!", and sentence
    boundaries ("." for a full stop, semicolon or line break)."""
    return [
        Token(_BOUNDARY if m.group() in ".;\n" else m.group(), m.start(), m.end())
        for m in _TOKEN_RE.finditer(fold(text))
    ]


def words_of(tokens: Sequence[Token]) -> list[Token]:
    """The tokens features are read from: everything but sentence boundaries."""
    return [t for t in tokens if t.text != _BOUNDARY]


def question_positions(tokens: Sequence[Token]) -> list[int]:
    """Indexes (in ``words_of(tokens)``) of the words inside sentences that end in "?".

    "feel" inside "how do you feel?" is an exploration; in "I feel sad" it is not. A
    linear model cannot tell the two apart from words alone, so words of questions also
    count as features of their own ("q:feel")."""
    found: list[int] = []
    sentence: list[int] = []
    index = 0
    for token in tokens:
        if token.text == _BOUNDARY:
            sentence = []
            continue
        if token.text == "?":
            found.extend(sentence)
            sentence = []
        elif token.text == "!":
            sentence = []
        else:
            sentence.append(index)
        index += 1
    return found


def word_terms(tokens: Sequence[Token], high: int = 2, questions: bool = False) -> list[str]:
    """Word 1- to ``high``-grams, and with ``questions`` the words of questions marked
    "q:": the first feature block."""
    words = [t.text for t in words_of(tokens)]
    terms = list(words)
    for n in range(2, high + 1):
        terms += [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    if questions:
        terms += ["q:" + words[i] for i in question_positions(tokens)]
    return terms


def char_terms(tokens: Sequence[Token], low: int = 2, high: int = 5) -> list[str]:
    """Character n-grams of each word padded with spaces: robust to typos and inflection.
    Punctuation tokens ("?", "!") are left to the word block."""
    grams: list[str] = []
    for token in tokens:
        if token.text in ("?", "!", _BOUNDARY):
            continue
        padded = f" {token.text} "
        size = len(padded)
        for n in range(low, min(high, size) + 1):
            grams += [padded[i : i + n] for i in range(size - n + 1)]
    return grams


def word_analyzer(high: int, questions: bool) -> Callable[[str], list[str]]:
    """The trainer hands these analyzers to scikit-learn's TfidfVectorizer."""
    return partial(_analyze_words, high=high, questions=questions)


def char_analyzer(low: int, high: int) -> Callable[[str], list[str]]:
    return partial(_analyze_chars, low=low, high=high)


def _analyze_words(text: str, high: int, questions: bool) -> list[str]:
    return word_terms(tokenize(text), high, questions)


def _analyze_chars(text: str, low: int, high: int) -> list[str]:
    return char_terms(tokenize(text), low, high)


# ------------------------------------------------------------------------------ model


@dataclass(frozen=True)
class Head:
    """One classifier: ``width`` columns of the weight rows, starting at ``offset``."""

    name: str
    kind: str  # "multinomial" (three levels) or "binary" (a flag)
    offset: int
    width: int
    threshold: float = 0.5  # binary heads: flag when P >= threshold


@dataclass(frozen=True)
class Prediction:
    levels: dict[str, int]  # mechanism -> 0, 1 or 2
    probabilities: dict[str, tuple[float, ...]]  # mechanism -> (P0, P1, P2)
    flags: dict[str, bool]
    flag_probabilities: dict[str, float]


@dataclass(frozen=True)
class Phrase:
    text: str  # as written in the original text
    start: int
    end: int
    weight: float  # how hard it pushed towards the prediction (larger is stronger)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _softmax(logits: Sequence[float]) -> tuple[float, ...]:
    top = max(logits)
    exps = [math.exp(x - top) for x in logits]
    total = sum(exps)
    return tuple(e / total for e in exps)


class CoachModel:
    """The exported classifiers; see :func:`load` and :func:`kinwell.coach.train.export`."""

    def __init__(self, data: dict[str, Any]) -> None:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a coach model (format {data.get('format')!r})")
        self.word_ngrams = int(data["word_ngrams"])
        self.questions = bool(data.get("questions", False))
        low, high = (int(x) for x in data.get("char_range") or (0, 0))
        self.char_range = (low, high)
        self.heads = tuple(
            Head(
                name=h["name"],
                kind=h["kind"],
                offset=int(h["offset"]),
                width=int(h["width"]),
                threshold=float(h.get("threshold", 0.5)),
            )
            for h in data["heads"]
        )
        if tuple(h.name for h in self.heads) != HEADS:
            raise ValueError(f"model heads {[h.name for h in self.heads]} are not {HEADS}")
        self.intercept: list[float] = [float(x) for x in data["intercept"]]
        self.columns = len(self.intercept)
        self.word: dict[str, list[float]] = data["word"]  # term -> [idf, weight per column]
        self.char: dict[str, list[float]] = data["char"]
        self.meta: dict[str, Any] = data.get("meta", {})

    # -- scoring -------------------------------------------------------------------

    def _block(
        self, counts: dict[str, int], vocab: dict[str, list[float]], acc: list[float]
    ) -> tuple[list[str], list[float], list[tuple[float, ...]]]:
        """Add one L2-normalised TF-IDF block's scores to ``acc``.

        Returns the block's known terms, their normalised values and the weight columns
        (``columns[j][i]`` is term i's weight in column j), for explanations. The sums run
        column by column in C (``sum(map(mul, ...))``): about ten times faster in pure
        Python than adding the ~13 weights of each term one by one.
        """
        terms = [t for t in counts if t in vocab]
        if not terms:
            return [], [], []
        rows = [vocab[t] for t in terms]
        log = math.log
        values = [
            row[0] if counts[t] == 1 else (1.0 + log(counts[t])) * row[0]
            for t, row in zip(terms, rows, strict=True)
        ]
        norm = math.sqrt(sum(map(mul, values, values)))
        values = [v / norm for v in values]
        columns: list[tuple[float, ...]] = list(zip(*rows, strict=True))[1:]
        for j, column in enumerate(columns):
            acc[j] += sum(map(mul, values, column))
        return terms, values, columns

    def scores(self, text: str) -> tuple[list[float], list[Token], list[Any]]:
        """Raw column scores, the tokens, and each block's (terms, values, columns)."""
        tokens = tokenize(text)
        acc = list(self.intercept)
        word = self._block(
            Counter(word_terms(tokens, self.word_ngrams, self.questions)), self.word, acc
        )
        char = (
            self._block(Counter(char_terms(tokens, *self.char_range)), self.char, acc)
            if self.char
            else ([], [], [])
        )
        return acc, tokens, [word, char]

    def _decide(self, acc: Sequence[float]) -> Prediction:
        levels: dict[str, int] = {}
        probabilities: dict[str, tuple[float, ...]] = {}
        flags: dict[str, bool] = {}
        flag_probabilities: dict[str, float] = {}
        for head in self.heads:
            block = acc[head.offset : head.offset + head.width]
            if head.kind == "multinomial":
                probs = _softmax(block)
                probabilities[head.name] = probs
                levels[head.name] = max(range(len(probs)), key=probs.__getitem__)
            else:
                p = _sigmoid(block[0])
                flag_probabilities[head.name] = p
                flags[head.name] = p >= head.threshold
        return Prediction(levels, probabilities, flags, flag_probabilities)

    def predict(self, text: str) -> Prediction:
        acc, *_ = self.scores(text)
        return self._decide(acc)

    # -- explanations --------------------------------------------------------------

    def _pushes(
        self, head: Head, prediction: Prediction, values: list[float], columns: list[Any]
    ) -> list[float]:
        """Each term's push towards this head's prediction: for a level, its weight for
        that level minus its average weight over the levels; for a flag, its weight
        (towards raising it when raised, towards not raising it otherwise)."""
        if not values:
            return []
        if head.kind == "multinomial":
            own = columns[head.offset + prediction.levels[head.name]]
            group = columns[head.offset : head.offset + head.width]
            mean = [sum(ws) / head.width for ws in zip(*group, strict=True)]
            return [v * (w - m) for v, w, m in zip(values, own, mean, strict=True)]
        sign = 1.0 if prediction.flags[head.name] else -1.0
        return [sign * v * w for v, w in zip(values, columns[head.offset], strict=True)]

    def explain(self, text: str, limit: int = 3) -> tuple[Prediction, dict[str, list[Phrase]]]:
        """The prediction, and for each head the phrases that pushed hardest towards it.

        Each feature's contribution is shared out over the words it was read from: a word
        1-gram to its word, a 2-gram half to each word, a character n-gram to the word it
        sits in; a term seen several times is shared equally by its occurrences. Runs of
        neighbouring words that pushed the same way become one phrase.
        """
        acc, all_tokens, blocks = self.scores(text)
        prediction = self._decide(acc)
        tokens = words_of(all_tokens)
        # Which tokens each term was read from (an n-gram: each of its words).
        places: list[dict[str, list[int]]] = [{}, {}]
        words = [t.text for t in tokens]
        for n in range(1, self.word_ngrams + 1):
            for i in range(len(words) - n + 1):
                places[0].setdefault(" ".join(words[i : i + n]), []).extend(range(i, i + n))
        if self.questions:
            for i in question_positions(all_tokens):
                places[0].setdefault("q:" + words[i], []).append(i)
        if self.char:
            for i, token in enumerate(tokens):
                for gram in char_terms([token], *self.char_range):
                    places[1].setdefault(gram, []).append(i)
        phrases: dict[str, list[Phrase]] = {}
        for head in self.heads:
            per_token = [0.0] * len(tokens)
            for (terms, values, columns), where in zip(blocks, places, strict=True):
                pushes = self._pushes(head, prediction, values, columns)
                for term, push in zip(terms, pushes, strict=True):
                    spots = where[term]
                    share = push / len(spots)
                    for i in spots:
                        per_token[i] += share
            phrases[head.name] = _phrases(text, tokens, per_token, limit)
        return prediction, phrases


_STOP_EDGE_WORDS = """
    a an the and or but so to of in on at for it is was be i me my we our this that just
    really very with as then there
"""
_STOP_EDGE = frozenset(_STOP_EDGE_WORDS.split())
_PUNCT = ("?", "!")
_GAP_BREAK = re.compile(r"[.;:\n]")
MAX_PHRASE_WORDS = 6


def _phrases(text: str, tokens: Sequence[Token], push: Sequence[float], limit: int) -> list[Phrase]:
    """Runs of neighbouring words that pushed the same way, strongest first.

    A word joins a run when its push is at least a quarter of the strongest word's; runs
    stop at the end of a sentence; filler words are trimmed from the edges; phrases much
    weaker than the strongest are left out, so feedback points at what really counted.
    """
    if not tokens:
        return []
    top = max(push)
    if top <= 0:
        return []
    floor = top * 0.25
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i, p in enumerate(push):
        breaks = i > 0 and (
            tokens[i - 1].text in _PUNCT
            or bool(_GAP_BREAK.search(text, tokens[i - 1].end, tokens[i].start))
        )
        if start is not None and (p < floor or breaks):
            runs.append((start, i))
            start = None
        if p >= floor and start is None:
            start = i
    if start is not None:
        runs.append((start, len(push)))
    found: list[Phrase] = []
    for a, b in runs:
        # Trim filler from the edges, but never down to one word: "at least" stays whole.
        while b - a > 2 and (tokens[a].text in _STOP_EDGE or tokens[a].text in _PUNCT):
            a += 1
        while b - a > 2 and tokens[b - 1].text in _STOP_EDGE:
            b -= 1
        if b - a > MAX_PHRASE_WORDS:  # keep the strongest window of a long run
            best = max(
                range(a, b - MAX_PHRASE_WORDS + 1),
                key=lambda s: sum(push[s : s + MAX_PHRASE_WORDS]),
            )
            a, b = best, best + MAX_PHRASE_WORDS
        if b - a == 1 and (tokens[a].text in _STOP_EDGE or tokens[a].text in _PUNCT):
            continue
        weight = sum(push[a:b])
        start_at, end_at = tokens[a].start, tokens[b - 1].end
        found.append(Phrase(text[start_at:end_at], start_at, end_at, round(weight, 4)))
    found.sort(key=lambda p: -p.weight)
    if found:
        strongest = found[0].weight
        found = [p for p in found if p.weight >= strongest * 0.3]
    return found[:limit]


# ---------------------------------------------------------------------------- loading


def load(path: str | Path) -> CoachModel:
    path = Path(path)
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return CoachModel(json.load(fh))
    with path.open(encoding="utf-8") as fh:
        return CoachModel(json.load(fh))


@cache
def model() -> CoachModel:
    """The shipped model, loaded once per process."""
    return load(MODEL_FILE)


def predict(text: str) -> Prediction:
    return model().predict(text)


def explain(text: str, limit: int = 3) -> dict[str, list[Phrase]]:
    """For each mechanism and flag, the phrases that drove its prediction."""
    return model().explain(text, limit)[1]


def rate(text: str) -> dict[str, int]:
    """The three mechanism levels (0, 1, 2) of a reply; an empty reply rates 0 on each."""
    if not text or not text.strip():
        return dict.fromkeys(MECHANISMS, 0)
    return predict(text).levels
