"""Crisis screening for member text: a curated lexicon plus a small linear model.

Every check-in note, circle post, chat message and journal entry passes through
:func:`screen_text` before it is stored. The screen therefore has to be fast (well under a
millisecond for a typical message), offline, never raise, and explain itself to the human
moderator who acts on it.

Two parts, combined safety-first:

* the lexicon (``data/lexicon.json``): reviewed phrases with a category and a level, read in
  context. A phrase counts only when it is about the writer, now: negations ("not going
  to kill myself"), idioms ("this job is killing me"), media titles, other people ("she
  wants to die"), the past ("I attempted two years ago") and replies addressed to someone
  else ("if you're thinking about suicide, call...") are recorded but do not raise the
  level. Plan, means, timeline and farewell escalators turn a risk phrase into ``urgent``;
  an active ``urgent`` phrase is never overruled by the model, because a missed urgent
  message costs far more than a false alarm.
* the model (``model/screening_model.json``): multinomial logistic regression over TF-IDF
  word 1-2-grams, character 3-5-grams and the lexicon's findings, trained offline by
  :mod:`kinwell.safety.train_screening` and exported as plain JSON, so that run time needs
  no scikit-learn. It catches indirect wording the lexicon does not list, and its
  thresholds (chosen on the development set) decide every case the lexicon does not settle.

Both data files are loaded lazily, once, on the first call (see :func:`warm_up`).
"""

from __future__ import annotations

import html
import importlib
import json
import math
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

LEVELS: tuple[str, ...] = ("none", "concern", "urgent")
LEXICON_FILE = Path(__file__).parent / "data" / "lexicon.json"
MODEL_FILE = Path(__file__).parent / "model" / "screening_model.json"

# Long texts are screened on their head and their tail only: the work (and so the time a
# post can hold a request) stays bounded, and a farewell is most often at the very end.
HEAD_CHARS = 20_000
TAIL_CHARS = 2_000

# Cues only let the lexicon skip patterns that cannot match; tests turn them off to check
# that no cue is missing.
USE_CUES = True

_RANK = {"none": 0, "signal": 0, "concern": 1, "urgent": 2}
# How far (in characters) an escalator may sit from the risk phrase it escalates. Wide
# enough for "I want to die. I have the pills. Tonight." but not a whole journal entry.
_ESCALATION_WINDOW = 220
_STRONG_ESCALATORS = frozenset({"means", "plan", "farewell"})
_PAIRING_ESCALATORS = frozenset({"means", "plan", "farewell", "timeline", "plan_weak"})
# Tokens that stand in for spans the model should not read literally (idioms, titles).
IDIOM_TOKEN = " zzidiom "  # noqa: S105 - a placeholder word, not a secret
TITLE_TOKEN = " zztitle "  # noqa: S105


@dataclass(frozen=True)
class ScreenResult:
    level: str  # "none" | "concern" | "urgent"
    reasons: tuple[str, ...]
    score: float  # model probability of the chosen level, 0..1 (0.0 without a model)


@dataclass(frozen=True)
class Hit:
    """One lexicon phrase found in a text, with what its context made of it."""

    entry_id: str
    kind: str  # risk | escalator
    category: str
    level: str  # level the phrase carries when active
    phrase: str
    start: int
    end: int
    status: str  # "active" or why it was set aside: negated, idiom, past, ...
    person: str  # first | second | third | any
    tense: str  # present | past | recent


@dataclass
class Analysis:
    """What the lexicon saw; also the model's input (``model_text`` and ``features``)."""

    text: str  # normalised text the lexicon read
    model_text: str  # the same with idioms and media titles masked
    hits: list[Hit] = field(default_factory=list)
    level: str = "none"
    reasons: list[str] = field(default_factory=list)
    escalated: bool = False
    features: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- text clean-up

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_HTML_BLOCK_RE = re.compile(
    r"<\s*/?\s*(?:br|p|div|li|ul|ol|h[1-6]|tr|td|th|blockquote|pre|hr|section|article|header|"
    r"footer|table|form|dd|dt)\b[^<>]{0,1000}>",
    re.IGNORECASE,
)
_HTML_TAG_RE = re.compile(r"</?[a-zA-Z][^<>]{0,1000}>|<!--.{0,2000}?-->", re.DOTALL)
_COMBINING_RE = re.compile(r"[\u0300-\u036f]")
_REPEAT_RE = re.compile(r"(.)\1{2,}")
_SPACE_RE = re.compile(r"[^\S\n]+")
_NEWLINES_RE = re.compile(r" ?\n[\s]*")
_PUNCT_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\u2060": "",
        "\ufeff": "",
        "\u00ad": "",
    }
)


def _drop_blocks(text: str, tag: str) -> str:
    """Remove <script>/<style> bodies in linear time (a regex can go quadratic here)."""
    lower = text.lower()
    opener, closer = "<" + tag, "</" + tag
    out: list[str] = []
    pos = 0
    while True:
        start = lower.find(opener, pos)
        if start < 0:
            break
        out.append(text[pos:start])
        end = lower.find(closer, start)
        if end < 0:
            pos = len(text)
            break
        close = lower.find(">", end)
        pos = len(text) if close < 0 else close + 1
    out.append(text[pos:])
    return " ".join(out)


def strip_html(text: str) -> str:
    if "<" in text and ">" in text:
        lower = text.lower()
        for tag in ("script", "style"):
            if "<" + tag in lower:
                text = _drop_blocks(text, tag)
        text = _HTML_BLOCK_RE.sub("\n", text)
        text = _HTML_TAG_RE.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return text


def cap_text(text: str) -> str:
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]


def _fold(text: str) -> str:
    """Compatibility-decompose, drop Latin accents and unify quotes, keeping the case."""
    text = unicodedata.normalize("NFKD", text)
    text = _COMBINING_RE.sub("", text)
    text = text.translate(_PUNCT_MAP)
    text = _CONTROL_RE.sub(" ", text)
    text = _REPEAT_RE.sub(r"\1\1", text)
    text = _SPACE_RE.sub(" ", text)
    return _NEWLINES_RE.sub("\n", text).strip()


def normalise(text: str) -> str:
    """The form both the lexicon and the model read: folded, lower-case, HTML removed.

    Accents are dropped because members often type without them ("suicidarme", "a quoi
    bon"), and letters repeated three times or more are cut to two ("byeee" -> "byee").
    """
    return _fold(strip_html(cap_text(text))).lower()


# ------------------------------------------------------------------------------- lexicon

_MACRO_RE = re.compile(r"\{([A-Z_]+)\}")


def _expand(pattern: str, macros: dict[str, str]) -> str:
    for _ in range(5):  # macros may use macros; five levels is plenty and stops cycles
        new = _MACRO_RE.sub(lambda m: macros.get(m.group(1), m.group(0)), pattern)
        if new == pattern:
            break
        pattern = new
    return pattern


def _required_literals(pattern: str) -> frozenset[str] | None:
    """Strings one of which must occur in any match of ``pattern`` (None if unknown).

    Worked out from the regex syntax tree, so a cue can never be forgotten when a pattern
    is edited. Only a speed-up: when anything is unexpected the pattern is always tried.
    """
    try:
        parser: Any = importlib.import_module("re._parser")
        const: Any = importlib.import_module("re._constants")
        tree = parser.parse(pattern)
    except Exception:
        return None

    repeats = {const.MAX_REPEAT, const.MIN_REPEAT, getattr(const, "POSSESSIVE_REPEAT", None)}

    def score(cands: frozenset[str]) -> tuple[bool, int, int]:
        # Few cues of three or more characters: each cue costs one substring test per text.
        shortest = min(len(c.strip()) for c in cands)
        return (shortest >= 3, -len(cands), shortest)

    def walk(seq: Any) -> frozenset[str] | None:
        best: frozenset[str] | None = None
        run: list[str] = []

        def consider(cands: frozenset[str] | None) -> None:
            nonlocal best
            if cands and (best is None or score(cands) > score(best)):
                best = cands

        for op, av in seq:
            if op is const.LITERAL:
                run.append(chr(av))
                continue
            if run:
                consider(frozenset(["".join(run)]))
                run = []
            if op is const.SUBPATTERN:
                consider(walk(av[-1]))
            elif op is const.BRANCH:
                parts = [walk(branch) for branch in av[1]]
                if all(parts):
                    consider(frozenset().union(*[p for p in parts if p]))
            elif op in repeats and av[0] >= 1:
                consider(walk(av[2]))
        if run:
            consider(frozenset(["".join(run)]))
        return best

    found = walk(tree)
    if not found or min(len(c) for c in found) < 2 or len(found) > 80:
        return None
    return found


def _word_regex(pattern: str) -> re.Pattern[str]:
    # Phrases match whole words only, so "die" does not fire inside "diet".
    return re.compile(r"(?<![\w])(?:" + pattern + r")(?![\w])")


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str
    category: str
    level: str
    lang: str
    patterns: tuple[re.Pattern[str], ...]
    cues: tuple[tuple[str, ...], ...]  # per pattern; empty = always try it
    person: str
    negatable: bool
    tense: str
    joke_ok: bool
    others: bool
    escalates: bool
    unless: re.Pattern[str] | None
    unless_text: re.Pattern[str] | None


@dataclass(frozen=True)
class Lexicon:
    version: str
    entries: tuple[Entry, ...]
    cue_finder: re.Pattern[str] | None
    cue_prefixes: dict[str, tuple[str, ...]]
    by_cue: dict[str, tuple[tuple[int, int], ...]]
    uncued: tuple[tuple[int, int], ...]
    context: dict[str, re.Pattern[str]]
    by_id: dict[str, Entry]
    escalators_for: dict[str, frozenset[str]]
    combos: tuple[tuple[frozenset[str], str, str], ...]


_CONTEXT_KEYS = (
    "sentence_break",
    "negation_break",
    "negator",
    "negation_cancel",
    "negation_after",
    "pronoun_first",
    "pronoun_second",
    "pronoun_third",
    "generic_frame",
    "hypothetical",
    "past_marker",
    "present_marker",
    "recent_marker",
    "perfect_continuous",
    "joke_marker",
    "media_cue",
    "support_marker",
)


def _trie_regex(words: Iterable[str]) -> str:
    """One regex for many literals, shaped as a trie so each position costs a few steps.

    At any position it matches the longest of the words that starts there; every shorter
    word starting there is a prefix of it (see ``Lexicon.cue_prefixes``).
    """
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 and not ends else "(?:" + "|".join(alts) + ")"
        if ends:
            body = (body if body.startswith("(?:") else "(?:" + body + ")") + "?"
        return body

    return build(root)


def _compile_lexicon(data: dict[str, Any]) -> Lexicon:
    macros: dict[str, str] = data.get("macros", {})
    context: dict[str, re.Pattern[str]] = {}
    for key in _CONTEXT_KEYS:
        spec = data["context"][key]
        pattern = _expand(spec["pattern"], macros)
        context[key] = re.compile(pattern) if spec.get("raw") else _word_regex(pattern)
    escalating = set(data.get("escalating_categories", []))
    entries: list[Entry] = []
    for raw in data["entries"]:
        sources = [_expand(p, macros) for p in raw["patterns"]]
        patterns = tuple(_word_regex(p) for p in sources)
        cues = tuple(tuple(sorted(_required_literals(p) or ())) for p in sources)
        unless = raw.get("unless")
        unless_text = raw.get("unless_text")
        entries.append(
            Entry(
                id=raw["id"],
                kind=raw.get("kind", "risk"),
                category=raw["category"],
                level=raw.get("level", "signal"),
                lang=raw.get("lang", "en"),
                patterns=patterns,
                cues=cues,
                person=raw.get("person", "check"),
                negatable=raw.get("negatable", True),
                tense=raw.get("tense", "check"),
                joke_ok=raw.get("joke_ok", False),
                others=raw.get("others", False),
                escalates=raw.get("escalates", raw["category"] in escalating),
                unless=_word_regex(_expand(unless, macros)) if unless else None,
                unless_text=_word_regex(_expand(unless_text, macros)) if unless_text else None,
            )
        )
    by_cue: dict[str, list[tuple[int, int]]] = {}
    uncued: list[tuple[int, int]] = []
    for i, entry in enumerate(entries):
        for j, pattern_cues in enumerate(entry.cues):
            if not pattern_cues:
                uncued.append((i, j))
            for cue in pattern_cues:
                by_cue.setdefault(cue, []).append((i, j))
    cues_all = sorted(by_cue)
    escalators = data.get("escalators_by_category", {})
    return Lexicon(
        version=str(data.get("version", "")),
        entries=tuple(entries),
        cue_finder=re.compile("(?=(" + _trie_regex(cues_all) + "))") if cues_all else None,
        cue_prefixes={c: tuple(p for p in cues_all if c.startswith(p)) for c in cues_all},
        by_cue={cue: tuple(group) for cue, group in by_cue.items()},
        uncued=tuple(uncued),
        context=context,
        by_id={e.id: e for e in entries},
        escalators_for={k: frozenset(v) for k, v in escalators.items()},
        combos=tuple(
            (frozenset(c["all"]), c["level"], c["reason"]) for c in data.get("combos", [])
        ),
    )


@cache
def lexicon() -> Lexicon:
    with LEXICON_FILE.open(encoding="utf-8") as fh:
        return _compile_lexicon(json.load(fh))


# ---------------------------------------------------------------------------- context


@dataclass
class _Context:
    text: str
    lex: Lexicon
    sentence_starts: list[int]
    sentence_ends: list[int]
    clause_starts: list[int]

    @classmethod
    def build(cls, text: str, lex: Lexicon) -> _Context:
        starts, ends = [0], []
        for m in lex.context["sentence_break"].finditer(text):
            ends.append(m.start())
            starts.append(m.end())
        ends.append(len(text))
        clauses = sorted({0, *(m.end() for m in lex.context["negation_break"].finditer(text))})
        return cls(text, lex, starts, ends, clauses)

    def sentence(self, pos: int) -> tuple[int, int]:
        i = bisect_right(self.sentence_starts, pos) - 1
        return self.sentence_starts[i], max(self.sentence_ends[i], pos)

    def around(self, pos: int) -> tuple[int, int]:
        """The sentence holding ``pos`` and the one after it."""
        i = bisect_right(self.sentence_starts, pos) - 1
        j = min(i + 1, len(self.sentence_ends) - 1)
        return self.sentence_starts[i], max(self.sentence_ends[j], pos)

    def clause_start(self, pos: int) -> int:
        i = bisect_right(self.clause_starts, pos) - 1
        return max(self.clause_starts[i], self.sentence(pos)[0])


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    found = None
    for found in pattern.finditer(text):  # noqa: B007 - we want the last one
        pass
    return found


def _person(ctx: _Context, entry: Entry, start: int, phrase: str) -> tuple[str, bool]:
    """Whose state the phrase describes, and whether a pronoun said so explicitly."""
    c = ctx.lex.context
    if entry.person in ("first", "any"):
        return entry.person, True
    # A pronoun opening the phrase wins, then the nearest pronoun before it in the same
    # sentence. No pronoun at all reads as the writer: "want to die." is how people write
    # about themselves.
    names = ("pronoun_first", "pronoun_second", "pronoun_third")
    persons = ("first", "second", "third")
    for name, person in zip(names, persons, strict=True):
        if c[name].match(phrase):
            return person, True
    s_start, _ = ctx.sentence(start)
    before = ctx.text[s_start:start]
    best, best_pos = "", -1
    for name, person in zip(names, persons, strict=True):
        last = _last(c[name], before)
        if last is not None and last.start() > best_pos:
            best, best_pos = person, last.start()
    if best:
        return best, True
    return "first", False


def _negated(ctx: _Context, start: int, end: int) -> bool:
    c = ctx.lex.context
    prefix = ctx.text[ctx.clause_start(start) : start]
    # Only the last few words can negate the phrase: "no, I'm not okay. I want to die".
    words = prefix.split()[-6:]
    window = " ".join(words)
    neg = _last(c["negator"], window)
    if neg is not None:
        rest = window[neg.end() :]
        if not c["negation_cancel"].match(rest.lstrip()):
            return True
    after = ctx.text[end : end + 60]
    return bool(c["negation_after"].match(after))


def _tense(ctx: _Context, entry: Entry, match: re.Match[str], start: int) -> str:
    if entry.tense in ("present", "any"):
        return "present"
    c = ctx.lex.context
    s_start, s_end = ctx.sentence(start)
    sentence = ctx.text[s_start:s_end]
    groups = match.groupdict()
    verb_past = bool(groups.get("past"))
    if c["recent_marker"].search(sentence):
        return "recent"
    if c["present_marker"].search(sentence):
        return "present"
    before = ctx.text[s_start:start]
    if verb_past and c["perfect_continuous"].search(before[-25:]):
        return "present"  # "I've wanted to die for weeks" is still going on
    if verb_past or c["past_marker"].search(sentence):
        return "past"
    return "present"


def _in_spans(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def _media_spans(original: str, text: str, lex: Lexicon) -> list[tuple[int, int]]:
    """Quoted spans and Title Case runs, when the text talks about songs, films or books."""
    if not lex.context["media_cue"].search(text):
        return []
    spans = [(m.start(), m.end()) for m in _QUOTED_RE.finditer(text)]
    folded = _fold(strip_html(cap_text(original)))
    if len(folded) == len(text):  # same indices; otherwise skip Title Case detection
        spans.extend((m.start(), m.end()) for m in _TITLE_RE.finditer(folded))
    return spans


_QUOTED_RE = re.compile(r"\"[^\"\n]{1,80}\"|(?<!\w)'[^'\n]{3,60}'(?!\w)")
_TITLE_SMALL = r"(?:of|the|a|an|is|to|in|on|and|me|my|for|at|by|with|from|you|it|i|la|le|de|el)"
_TITLE_RE = re.compile(
    r"(?<![\w])[A-Z0-9][\w']*(?:[ ](?:" + _TITLE_SMALL + r"[ ])*[A-Z0-9][\w']*){1,8}(?![\w])"
)


def _candidates(lex: Lexicon, text: str) -> list[tuple[Entry, tuple[int, ...]]]:
    """Entries and the patterns worth trying: those whose required words occur."""
    if not USE_CUES:
        return [(e, tuple(range(len(e.patterns)))) for e in lex.entries]
    chosen: dict[int, set[int]] = {}
    for i, j in lex.uncued:
        chosen.setdefault(i, set()).add(j)
    if lex.cue_finder is not None:
        found = {m.group(1) for m in lex.cue_finder.finditer(text)}
        present = {p for cue in found for p in lex.cue_prefixes.get(cue, ())}
        for cue in present:
            for i, j in lex.by_cue[cue]:
                chosen.setdefault(i, set()).add(j)
    return [(lex.entries[i], tuple(sorted(js))) for i, js in sorted(chosen.items())]


def _find(entry: Entry, which: tuple[int, ...], text: str) -> Iterable[re.Match[str]]:
    for j in which:
        yield from entry.patterns[j].finditer(text)


def _quote(phrase: str) -> str:
    phrase = phrase.strip()
    return phrase if len(phrase) <= 48 else phrase[:45] + "..."


def _describe(hit: Hit) -> str:
    return f'phrase "{_quote(hit.phrase)}" ({hit.person} person, {hit.tense})'


def analyse(text: str) -> Analysis:
    """Run the lexicon over ``text``: hits in context, the lexicon's level, model input."""
    lex = lexicon()
    norm = normalise(text)
    analysis = Analysis(text=norm, model_text=norm)
    if not norm:
        return analysis
    entries = _candidates(lex, norm)
    ctx = _Context.build(norm, lex)

    idiom_spans: list[tuple[int, int]] = []
    for entry, which in entries:
        if entry.kind == "idiom":
            idiom_spans.extend((m.start(), m.end()) for m in _find(entry, which, norm))
    media_spans = _media_spans(text, norm, lex)

    hits: list[Hit] = []
    for entry, which in entries:
        if entry.kind == "idiom":
            continue
        for m in _find(entry, which, norm):
            if m.end() > m.start():
                hits.append(_judge(ctx, entry, m, idiom_spans, media_spans))
    hits = _drop_contained(hits)
    analysis.hits = hits
    analysis.model_text = _mask(norm, idiom_spans, media_spans, hits)
    _decide(analysis, hits)
    return analysis


def _drop_contained(hits: list[Hit]) -> list[Hit]:
    """Keep the longest reading of a span: "going to kill myself" over "kill myself"."""
    hits.sort(key=lambda h: (h.start, h.start - h.end, -_RANK[h.level], h.entry_id))
    kept: list[Hit] = []
    for h in hits:
        if any(k.start <= h.start and h.end <= k.end and k.kind == h.kind for k in kept):
            continue
        kept.append(h)
    return kept


def _judge(
    ctx: _Context,
    entry: Entry,
    m: re.Match[str],
    idiom_spans: list[tuple[int, int]],
    media_spans: list[tuple[int, int]],
) -> Hit:
    c = ctx.lex.context
    start, end = m.start(), m.end()
    phrase = m.group(0)
    person, explicit = _person(ctx, entry, start, phrase)
    tense = _tense(ctx, entry, m, start)
    s_start, s_end = ctx.sentence(start)
    sentence = ctx.text[s_start:s_end]
    # Benign context may sit in the next sentence: "Standing on the bridge now - the
    # Golden Gate!", "Going to the bridge tonight - the bridge club".
    a_start, a_end = ctx.around(start)
    # The phrase itself is blanked so an "unless" word inside it ("see you on the other
    # side" vs "see you tomorrow") cannot excuse it.
    around = ctx.text[a_start:start] + " " * (end - start) + ctx.text[end:a_end]
    blanked = ctx.text[:start] + " " * (end - start) + ctx.text[end:]
    benign = bool(
        (entry.unless is not None and entry.unless.search(around))
        or (entry.unless_text is not None and entry.unless_text.search(blanked))
    )
    status = "active"
    elsewhere = person == "third" and entry.others
    if _in_spans(start, end, idiom_spans):
        status = "idiom"
    elif _in_spans(start, end, media_spans):
        status = "media title"
    elif benign:
        status = "benign context"
    elif entry.negatable and _negated(ctx, start, end):
        status = "negated"
    elif person == "second":
        status = "addressed to someone else"
    elif person == "third" and not elsewhere:
        status = "third person"
    elif not explicit and c["support_marker"].search(sentence):
        status = "addressed to someone else"
    elif c["hypothetical"].search(ctx.text[ctx.clause_start(start) : start][-40:]):
        status = "hypothetical"
    elif entry.person == "check" and c["generic_frame"].search(ctx.text[s_start:start][-30:]):
        status = "generic"
    elif tense == "past":
        status = "past"
    elif entry.joke_ok and c["joke_marker"].search(sentence):
        status = "joke"
    return Hit(
        entry_id=entry.id,
        kind=entry.kind,
        category=entry.category,
        level=entry.level,
        phrase=phrase,
        start=start,
        end=end,
        status=status,
        person=person,
        tense=tense,
    )


def _mask(
    text: str,
    idiom_spans: list[tuple[int, int]],
    media_spans: list[tuple[int, int]],
    hits: list[Hit],
) -> str:
    # The model reads idioms and titles as placeholders: "killing it" should not teach it
    # that "killing" is safe, and a song title should not make it alarmed.
    if not idiom_spans and not media_spans:
        return text
    media_hit = [(h.start, h.end) for h in hits if h.status == "media title"]
    spans = sorted(
        [(s, e, IDIOM_TOKEN) for s, e in idiom_spans]
        + [(s, e, TITLE_TOKEN) for s, e in media_spans if _in_spans(s, e, media_hit)]
    )
    out: list[str] = []
    pos = 0
    for s, e, token in spans:
        if s < pos:
            continue
        out.append(text[pos:s])
        out.append(token)
        pos = e
    out.append(text[pos:])
    return "".join(out)


def _escalation(lex: Lexicon, ctx_text: str, active: list[Hit]) -> str | None:
    """Why an active risk phrase becomes urgent, if a plan/means/timeline is near it."""
    escalators = [h for h in active if h.kind == "escalator"]
    if not escalators:
        return None
    for risk in active:
        entry = lex.by_id[risk.entry_id]
        if risk.kind != "risk" or not entry.escalates:
            continue
        allowed = lex.escalators_for.get(risk.category, lex.escalators_for.get("default"))
        near = [
            e
            for e in escalators
            if (allowed is None or e.category in allowed)
            and abs(e.start - risk.start) <= _ESCALATION_WINDOW
            and not (risk.start <= e.start and e.end <= risk.end)
        ]
        if near:
            kinds = ", ".join(f'{e.category} "{_quote(e.phrase)}"' for e in near[:3])
            return f'escalated: "{_quote(risk.phrase)}" with {kinds}'
    # Two different preparations near each other are a plan even without a risk phrase:
    # "bought the rope. tonight's it." A bare decision ("I've decided") or a bare time
    # needs a stronger partner.
    strong = [e for e in escalators if e.category in _STRONG_ESCALATORS]
    for first in strong:
        for second in escalators:
            if (
                second.category != first.category
                and second.category in _PAIRING_ESCALATORS
                and abs(second.start - first.start) <= _ESCALATION_WINDOW
            ):
                return (
                    f'escalated: {first.category} "{_quote(first.phrase)}" with '
                    f'{second.category} "{_quote(second.phrase)}"'
                )
    return None


def _decide(analysis: Analysis, hits: list[Hit]) -> None:
    lex = lexicon()
    active = [h for h in hits if h.status == "active"]
    features = {f"lex:{h.status}:{h.category}" for h in hits}
    features.update(f"lex:{h.status}:{h.level}" for h in hits if h.kind == "risk")
    level = "none"
    reasons: list[str] = []
    best: dict[str, Hit] = {}
    for h in active:
        if h.kind == "risk" and _RANK[h.level] > 0:
            if _RANK[h.level] > _RANK[level]:
                level = h.level
            best.setdefault(h.entry_id, h)
    escalated = False
    if level != "urgent":
        why = _escalation(lex, analysis.text, active)
        if why:
            level, escalated = "urgent", True
            reasons.append(why)
    if level == "none":
        categories = {h.category for h in active}
        for needed, combo_level, reason in lex.combos:
            if needed <= categories:
                level = combo_level
                reasons.append(f"combination: {reason}")
                features.add("lex:combo")
                break
    ranked = sorted(best.values(), key=lambda h: (-_RANK[h.level], h.start))
    reasons[:0] = [_describe(h) for h in ranked[:4]]
    suppressed = [h for h in hits if h.status != "active" and h.kind == "risk"]
    for h in suppressed[:2]:
        reasons.append(f'set aside "{_quote(h.phrase)}" ({h.status})')
    if escalated:
        features.add("lex:escalated")
    features.add(f"lex:level:{level}")
    analysis.level = level
    analysis.reasons = reasons
    analysis.escalated = escalated
    analysis.features = sorted(features)


# --------------------------------------------------------------------------------- model

_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def word_terms(text: str) -> list[str]:
    """Word unigrams and bigrams, the model's first feature block."""
    tokens = _WORD_RE.findall(text)
    return tokens + [f"{a} {b}" for a, b in pairwise(tokens)]


def char_terms(text: str, low: int = 3, high: int = 5) -> list[str]:
    """Character n-grams inside word boundaries: robust to typos, slang and inflection."""
    grams: list[str] = []
    for token in text.split():
        padded = f" {token} "
        size = len(padded)
        for n in range(low, min(high, size) + 1):
            grams.extend(padded[i : i + n] for i in range(size - n + 1))
    return grams


def _char_counts(text: str, low: int, high: int) -> dict[str, int]:
    """``_counts(char_terms(...))`` without the intermediate list (hot path)."""
    counts: dict[str, int] = {}
    get = counts.get
    for token in text.split():
        padded = f" {token} "
        size = len(padded)
        for n in range(low, min(high, size) + 1):
            for i in range(size - n + 1):
                g = padded[i : i + n]
                counts[g] = get(g, 0) + 1
    return counts


def _counts(terms: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for t in terms:
        counts[t] = counts.get(t, 0) + 1
    return counts


@dataclass(frozen=True)
class Model:
    classes: tuple[str, ...]
    intercept: tuple[float, ...]
    word: dict[str, list[float]]  # term -> [idf, weight per class...]
    char: dict[str, list[float]]
    lex: dict[str, list[float]]  # lexicon feature -> [weight per class...]
    char_range: tuple[int, int]
    thresholds: dict[str, float]
    lexicon_concern_floor: bool
    meta: dict[str, Any]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        if tuple(data["classes"]) != LEVELS:
            raise ValueError(f"model classes {data['classes']} are not {LEVELS}")
        return cls(
            classes=tuple(data["classes"]),
            intercept=tuple(data["intercept"]),
            word=data["word"],
            char=data["char"],
            lex=data["lex"],
            char_range=(int(data["char_range"][0]), int(data["char_range"][1])),
            thresholds={k: float(v) for k, v in data["thresholds"].items()},
            lexicon_concern_floor=bool(data.get("lexicon_concern_floor", True)),
            meta=data.get("meta", {}),
        )

    def _block(
        self,
        counts: dict[str, int],
        vocab: dict[str, list[float]],
        acc: list[float],
        keep: bool = True,
    ) -> list[tuple[str, float]]:
        """Add one L2-normalised TF-IDF block's logits to ``acc``; return term values.

        Unrolled for three classes: this loop is most of the scorer's time.
        """
        values: list[tuple[str, float]] = []
        square = a0 = a1 = a2 = 0.0
        log = math.log
        get = vocab.get
        for term, count in counts.items():
            row = get(term)
            if row is None:
                continue
            v = row[0] if count == 1 else (1.0 + log(count)) * row[0]
            square += v * v
            a0 += v * row[1]
            a1 += v * row[2]
            a2 += v * row[3]
            if keep:
                values.append((term, v))
        if square > 0.0:
            norm = math.sqrt(square)
            acc[0] += a0 / norm
            acc[1] += a1 / norm
            acc[2] += a2 / norm
            values = [(t, v / norm) for t, v in values]
        return values

    def predict(self, analysis: Analysis) -> tuple[dict[str, float], list[tuple[str, float]]]:
        """Class probabilities and the word terms' normalised values (for explanations)."""
        logits = list(self.intercept)
        text = analysis.model_text
        word_values = self._block(_counts(word_terms(text)), self.word, logits)
        lo, hi = self.char_range
        self._block(_char_counts(text, lo, hi), self.char, logits, keep=False)
        for feature in analysis.features:
            row = self.lex.get(feature)
            if row is not None:
                for j, w in enumerate(row):
                    logits[j] += w
        top = max(logits)
        exps = [math.exp(x - top) for x in logits]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}, word_values

    def top_terms(self, word_values: list[tuple[str, float]], level: str, n: int = 3) -> list[str]:
        """Words that pushed hardest towards ``level`` compared with the other levels."""
        j = self.classes.index(level)
        k = len(self.classes)
        scored = []
        for term, v in word_values:
            row = self.word[term]
            weights = row[1:]
            push = v * (weights[j] - sum(weights) / k)
            if push > 0 and "zz" not in term:
                scored.append((push, term))
        scored.sort(reverse=True)
        return [term for _, term in scored[:n]]


@cache
def model() -> Model | None:
    """The exported model, or None when the file is missing (lexicon-only screening)."""
    path = MODEL_FILE if MODEL_FILE.exists() else MODEL_FILE.with_suffix(".json.gz")
    if not path.exists():
        return None
    if path.suffix == ".gz":
        import gzip

        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return Model.from_dict(json.load(fh))
    with path.open(encoding="utf-8") as fh:
        return Model.from_dict(json.load(fh))


def warm_up() -> None:
    """Load and compile both data files now rather than on the first member's post."""
    lexicon()
    model()
    screen_text("warm up")


# ---------------------------------------------------------------------------- decision


def decide(
    analysis: Analysis, probs: dict[str, float] | None, thresholds: dict[str, float], floor: bool
) -> str:
    """Combine the lexicon's level with the model's probabilities (safety first).

    An urgent lexicon finding (or an escalation) is final. Otherwise the model decides with
    thresholds chosen on the development set: ``urgent`` when P(urgent) reaches its
    threshold, ``concern`` when P(concern) + P(urgent) reaches its own. With ``floor`` an
    active concern phrase keeps the text at least at ``concern``.
    """
    if analysis.level == "urgent":
        return "urgent"
    if probs is None:
        return analysis.level
    level = "none"
    if probs["urgent"] >= thresholds["urgent"]:
        level = "urgent"
    elif probs["urgent"] + probs["concern"] >= thresholds["concern"]:
        level = "concern"
    if floor and analysis.level == "concern" and level == "none":
        level = "concern"
    return level


def _screen(text: str) -> ScreenResult:
    analysis = analyse(text)
    if not analysis.text:
        return ScreenResult("none", (), 0.0)
    m = model()
    reasons = list(analysis.reasons)
    if m is None:
        level = decide(analysis, None, {}, True)
        reasons.append("model unavailable: lexicon only")
        return ScreenResult(level, tuple(reasons), 0.0)
    probs, word_values = m.predict(analysis)
    level = decide(analysis, probs, m.thresholds, m.lexicon_concern_floor)
    shown = level if level != "none" else max(probs, key=lambda c: probs[c])
    terms = m.top_terms(word_values, shown)
    note = f"model: {shown} {probs[shown]:.2f}"
    if terms:
        note += " — " + ", ".join(f"'{t}'" for t in terms)
    reasons.append(note)
    return ScreenResult(level, tuple(reasons), round(probs[level], 4))


def screen_text(text: str) -> ScreenResult:
    """Screen one piece of member text. Never raises: on an internal error it fails safe.

    Fails safe means ``concern``: a human looks at the text rather than a crash losing the
    post or silently passing it as harmless.
    """
    try:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        if not text.strip():
            return ScreenResult("none", (), 0.0)
        return _screen(text)
    except Exception as exc:
        return ScreenResult("concern", (f"screening error: {type(exc).__name__}",), 0.0)
