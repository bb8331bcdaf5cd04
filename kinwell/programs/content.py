"""Guided programs are data: one folder per program, `program.md` and `day-NN.md` files with
YAML front matter and a Markdown body.

Every file is read and checked at start (AppConfig.ready) and by `kinwell programs check`.
The first problem stops everything with a ContentError naming the file and line, so a
broken day never reaches a member. Parsed content is cached per process.

This module imports nothing from Django, so the command line can check content quickly
without settings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeGuard

import yaml
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

CONTENT_DIR = Path(__file__).parent / "content"

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SOURCE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
DAY_FILE_RE = re.compile(r"^day-(\d{2})\.md$")
# A citation marker in a body: [@holt-lunstad-2010]
MARKER_RE = re.compile(r"\[@([^\]\s]+)\]")
MAX_DAYS = 60


@dataclass(frozen=True)
class OptionSpec:
    kind: type
    default: Any
    low: int
    high: int
    label: str


# The practices a day can offer, each with the options it accepts (all optional).
PRACTICE_OPTIONS: dict[str, dict[str, OptionSpec]] = {
    "breathing": {
        "inhale": OptionSpec(int, 4, 1, 10, "seconds breathing in"),
        "hold": OptionSpec(int, 0, 0, 10, "seconds holding after breathing in"),
        "exhale": OptionSpec(int, 6, 1, 12, "seconds breathing out"),
        "pause": OptionSpec(int, 0, 0, 10, "seconds resting after breathing out"),
        "rounds": OptionSpec(int, 6, 1, 30, "rounds"),
    },
    "grounding": {},
    "narrative": {},
    "body_scan": {"minutes": OptionSpec(int, 5, 1, 30, "minutes")},
    "reach_out": {},
    "active_listening": {},
    "safety_plan": {},
    "reflection": {},
}
PRACTICES = tuple(PRACTICE_OPTIONS)
PRACTICE_LABELS = {
    "breathing": "Paced breathing",
    "grounding": "5-4-3-2-1 grounding",
    "narrative": "Two tellings of your story",
    "body_scan": "Body scan",
    "reach_out": "Reaching out",
    "active_listening": "Listening practice",
    "safety_plan": "Your safety plan",
    "reflection": "Reflection",
}

PROGRAM_KEYS: dict[str, bool] = {  # key -> required
    "slug": True,
    "title": True,
    "summary": True,
    "days": True,
    "minutes_per_day": True,
    "focus": False,
    "sources": True,
}
DAY_KEYS: dict[str, bool] = {
    "day": True,
    "title": True,
    "minutes": True,
    "practice": True,
    "practice_options": False,
    "reflection_prompt": True,
    "sources": True,
}
SOURCE_KEYS = ("id", "citation", "url")


class ContentError(ValueError):
    """A problem in one content file, at one line."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{display_path(path)} line {line}" if line else display_path(path)
        super().__init__(f"{where}: {message}")


def display_path(path: Path) -> str:
    """The path as a person would type it from here: relative when under the current folder."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


@dataclass(frozen=True)
class Source:
    id: str
    citation: str
    url: str


@dataclass(frozen=True)
class Citation:
    number: int
    source: Source
    anchor: str


@dataclass(frozen=True)
class Rendered:
    html: str
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class Day:
    number: int
    title: str
    minutes: int
    practice: str
    practice_options: Mapping[str, Any]
    reflection_prompt: str
    source_ids: tuple[str, ...]
    body: str
    rendered: Rendered
    path: Path

    @property
    def html(self) -> str:
        return self.rendered.html

    @property
    def practice_label(self) -> str:
        return PRACTICE_LABELS[self.practice]

    @property
    def citations(self) -> tuple[Citation, ...]:
        return self.rendered.citations


@dataclass(frozen=True)
class Program:
    slug: str
    title: str
    summary: str
    days: int
    minutes_per_day: int
    focus: tuple[str, ...]
    sources: tuple[Source, ...]
    intro: str
    rendered: Rendered
    day_list: tuple[Day, ...] = field(default=())
    path: Path = field(default=Path())

    @property
    def intro_html(self) -> str:
        return self.rendered.html

    def day(self, number: int) -> Day | None:
        if 1 <= number <= len(self.day_list):
            return self.day_list[number - 1]
        return None


# --- Markdown -------------------------------------------------------------------------


def _cite_rule(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("[@", state.pos):
        return False
    match = MARKER_RE.match(state.src, state.pos)
    if match is None:
        return False
    if not silent:
        token = state.push("cite", "", 0)
        token.meta = {"id": match.group(1)}
    state.pos = match.end()
    return True


def _render_cite(
    renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    source_id = tokens[idx].meta["id"]
    numbers: dict[str, int] = env.setdefault("cite_numbers", {})
    number = numbers.setdefault(source_id, len(numbers) + 1)
    anchor = f"{env['prefix']}-source-{number}"
    return (
        f'<sup class="cite"><a href="#{anchor}">'
        f'<span class="visually-hidden">source </span>{number}</a></sup>'
    )


def _shift_headings(state: Any) -> None:
    """Headings in a body start at h2: the page itself holds the only h1."""
    levels = [int(t.tag[1]) for t in state.tokens if t.type in ("heading_open", "heading_close")]
    if not levels:
        return
    shift = 2 - min(levels)
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + shift)}"


@cache
def _markdown() -> MarkdownIt:
    # Raw HTML is off: content files are data, and nothing in them may run or style the page.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.inline.ruler.before("link", "cite", _cite_rule)
    md.add_render_rule("cite", _render_cite)
    md.core.ruler.push("shift_headings", _shift_headings)
    return md


def render(body: str, *, prefix: str, sources: Mapping[str, Source]) -> Rendered:
    """Markdown to safe HTML; each [@id] becomes a numbered link to the list of sources."""
    env: dict[str, Any] = {"prefix": prefix}
    html = _markdown().render(body, env)
    numbers: dict[str, int] = env.get("cite_numbers", {})
    citations = tuple(
        Citation(number=n, source=sources[source_id], anchor=f"{prefix}-source-{n}")
        for source_id, n in sorted(numbers.items(), key=lambda item: item[1])
    )
    return Rendered(html=html, citations=citations)


def plain_text(body: str) -> str:
    """The words of a body as sentences (headings and list items end with a full stop),
    without citation markers: what a reading-level formula should see."""
    parts = []
    for token in _markdown().parse(body):
        if token.type != "inline" or not token.children:
            continue
        words = "".join(c.content for c in token.children if c.type in ("text", "code_inline"))
        words = " ".join(words.split())
        if words:
            parts.append(words if words[-1] in ".!?:;" else words + ".")
    return " ".join(parts)


# --- Reading files --------------------------------------------------------------------


@dataclass
class _FrontMatter:
    path: Path
    values: dict[str, Any]
    key_lines: dict[str, int]
    item_lines: dict[str, list[int]]
    end_line: int  # the file line of the closing ---
    body: str

    def line(self, key: str) -> int:
        return self.key_lines.get(key, 1)

    def fail(self, key: str, message: str) -> ContentError:
        return ContentError(self.path, self.line(key), message)


def _read(path: Path) -> _FrontMatter:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContentError(path, 1, "is not UTF-8 text") from None
    except OSError as exc:
        raise ContentError(path, 1, f"cannot be read ({exc.strerror or exc})") from None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ContentError(path, 1, 'must start with a "---" line, then the front matter')
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ContentError(path, 1, 'the front matter has no closing "---" line') from None
    front = "\n".join(lines[1:end])
    try:
        node = yaml.compose(front, Loader=yaml.SafeLoader)
        values = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ContentError(path, line, f"the front matter is not valid YAML ({problem})") from None
    if not isinstance(values, dict) or not isinstance(node, yaml.MappingNode):
        raise ContentError(path, 2, "the front matter must be a mapping of keys to values")
    key_lines: dict[str, int] = {}
    item_lines: dict[str, list[int]] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + 2
        if key in key_lines:
            raise ContentError(path, line, f'"{key}" appears twice')
        key_lines[key] = line
        if isinstance(value_node, yaml.SequenceNode):
            item_lines[key] = [item.start_mark.line + 2 for item in value_node.value]
    body = "\n".join(lines[end + 1 :])
    return _FrontMatter(path, values, key_lines, item_lines, end + 1, body)


def _check_keys(front: _FrontMatter, spec: Mapping[str, bool]) -> None:
    for key in front.values:
        if not isinstance(key, str) or key not in spec:
            raise front.fail(str(key), f'unknown key "{key}" (expected: {", ".join(spec)})')
    for key, required in spec.items():
        if required and key not in front.values:
            raise ContentError(front.path, 2, f'missing "{key}"')


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(front: _FrontMatter, key: str, *, limit: int) -> str:
    value = front.values.get(key)
    if not isinstance(value, str) or not value.strip():
        raise front.fail(key, f'"{key}" must be text')
    if len(value) > limit:
        raise front.fail(key, f'"{key}" must be at most {limit} characters (it has {len(value)})')
    return value.strip()


def _number(front: _FrontMatter, key: str, low: int, high: int) -> int:
    value = front.values.get(key)
    if not _is_int(value):
        raise front.fail(key, f'"{key}" must be a whole number')
    if not low <= value <= high:
        raise front.fail(key, f'"{key}" must be between {low} and {high} (it is {value})')
    return int(value)


def _markers(front: _FrontMatter) -> list[tuple[str, int]]:
    """(source id, file line) for each [@id] in the body, in order."""
    found = []
    for offset, line in enumerate(front.body.splitlines(), start=1):
        for match in MARKER_RE.finditer(line):
            found.append((match.group(1), front.end_line + offset))
    return found


def _sources(front: _FrontMatter) -> dict[str, Source]:
    raw = front.values.get("sources")
    if not isinstance(raw, list) or not raw:
        raise front.fail("sources", '"sources" must be a list of {id, citation, url}')
    lines = front.item_lines.get("sources", [])
    sources: dict[str, Source] = {}
    for index, entry in enumerate(raw):
        line = lines[index] if index < len(lines) else front.line("sources")
        if not isinstance(entry, dict):
            raise ContentError(
                front.path, line, "each source must be a mapping {id, citation, url}"
            )
        unknown = [k for k in entry if k not in SOURCE_KEYS]
        if unknown:
            raise ContentError(
                front.path,
                line,
                f'unknown key "{unknown[0]}" in a source (expected: id, citation, url)',
            )
        for key in SOURCE_KEYS:
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ContentError(front.path, line, f'each source needs "{key}" as text')
        source_id = entry["id"].strip()
        if not SOURCE_ID_RE.match(source_id):
            raise ContentError(
                front.path, line, f'source id "{source_id}" may use only a-z, 0-9, ".", "_" and "-"'
            )
        if source_id in sources:
            raise ContentError(front.path, line, f'source "{source_id}" is declared twice')
        url = entry["url"].strip()
        if not url.startswith(("https://", "http://")):
            raise ContentError(
                front.path, line, f'source "{source_id}": "url" must be a web address'
            )
        sources[source_id] = Source(id=source_id, citation=entry["citation"].strip(), url=url)
    return sources


def _practice_options(front: _FrontMatter, practice: str) -> dict[str, Any]:
    raw = front.values.get("practice_options", {})
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise front.fail("practice_options", '"practice_options" must be a mapping, e.g. {}')
    spec = PRACTICE_OPTIONS[practice]
    options: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in spec:
            allowed = ", ".join(spec) if spec else "none"
            raise front.fail(
                "practice_options",
                f'"practice_options" has "{key}", which {practice} does not take '
                f"(it takes: {allowed})",
            )
        rule = spec[key]
        if not _is_int(value) or not rule.low <= value <= rule.high:
            raise front.fail(
                "practice_options",
                f'"practice_options" {key} must be a whole number from {rule.low} to {rule.high} '
                f"({rule.label})",
            )
        options[key] = value
    for key, rule in spec.items():
        options.setdefault(key, rule.default)
    if (
        practice == "breathing"
        and options["rounds"]
        * (options["inhale"] + options["hold"] + options["exhale"] + options["pause"])
        > 30 * 60
    ):
        raise front.fail("practice_options", "the breathing practice must take under 30 minutes")
    return options


def _load_day(
    path: Path, number: int, program_sources: Mapping[str, Source], slug: str
) -> tuple[Day, set[str]]:
    front = _read(path)
    _check_keys(front, DAY_KEYS)
    day = front.values["day"]
    if not _is_int(day):
        raise front.fail("day", '"day" must be a whole number')
    if day != number:
        raise front.fail("day", f'"day" is {day} but the file name says day {number}')
    title = _text(front, "title", limit=100)
    minutes = _number(front, "minutes", 1, 120)
    practice = front.values["practice"]
    if practice not in PRACTICE_OPTIONS:
        raise front.fail("practice", f'"practice" must be one of {", ".join(PRACTICES)}')
    options = _practice_options(front, practice)
    prompt = _text(front, "reflection_prompt", limit=400)
    raw_ids = front.values["sources"]
    if not isinstance(raw_ids, list) or not all(isinstance(s, str) for s in raw_ids):
        raise front.fail("sources", '"sources" must be a list of source ids, e.g. [herman-1992]')
    listed: list[str] = []
    for source_id in raw_ids:
        if source_id not in program_sources:
            raise front.fail(
                "sources", f'source "{source_id}" is not declared in this program\'s program.md'
            )
        if source_id in listed:
            raise front.fail("sources", f'source "{source_id}" is listed twice')
        listed.append(source_id)
    if not front.body.strip():
        raise ContentError(path, front.end_line, "the day has no text after the front matter")
    used: set[str] = set()
    for source_id, line in _markers(front):
        if source_id not in program_sources:
            raise ContentError(
                path, line, f"[@{source_id}] cites a source not declared in program.md"
            )
        if source_id not in listed:
            raise ContentError(
                path, line, f'[@{source_id}] cites a source missing from this day\'s "sources"'
            )
        used.add(source_id)
    for source_id in listed:
        if source_id not in used:
            raise front.fail(
                "sources", f'source "{source_id}" is listed but no [@{source_id}] cites it'
            )
    rendered = render(front.body, prefix=f"{slug}-day-{number}", sources=program_sources)
    return (
        Day(
            number=number,
            title=title,
            minutes=minutes,
            practice=practice,
            practice_options=options,
            reflection_prompt=prompt,
            source_ids=tuple(listed),
            body=front.body,
            rendered=rendered,
            path=path,
        ),
        used,
    )


def load_program(folder: Path) -> Program:
    path = folder / "program.md"
    if not path.is_file():
        raise ContentError(path, 0, "is missing: every program folder needs a program.md")
    front = _read(path)
    _check_keys(front, PROGRAM_KEYS)
    slug = front.values["slug"]
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        raise front.fail("slug", '"slug" must be lower-case words joined by "-"')
    if slug != folder.name:
        raise front.fail("slug", f'"slug" is "{slug}" but the folder is "{folder.name}"')
    title = _text(front, "title", limit=100)
    summary = _text(front, "summary", limit=300)
    days = _number(front, "days", 1, MAX_DAYS)
    minutes = _number(front, "minutes_per_day", 1, 120)
    focus = front.values.get("focus", [])
    if not isinstance(focus, list) or not all(isinstance(f, str) and f.strip() for f in focus):
        raise front.fail("focus", '"focus" must be a list of words, e.g. [grief, loneliness]')
    sources = _sources(front)
    if not front.body.strip():
        raise ContentError(path, front.end_line, "the introduction has no text")
    used: set[str] = set()
    for source_id, line in _markers(front):
        if source_id not in sources:
            raise ContentError(
                path, line, f'[@{source_id}] cites a source not declared in "sources"'
            )
        used.add(source_id)

    numbers: dict[int, Path] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name == "program.md" or entry.name.startswith("."):
            continue
        match = DAY_FILE_RE.match(entry.name)
        if match is None or not entry.is_file():
            raise ContentError(
                entry, 1, "is not a program file: a program folder holds program.md and day-NN.md"
            )
        numbers[int(match.group(1))] = entry
    for number in range(1, days + 1):
        if number not in numbers:
            raise front.fail("days", f'"days" is {days} but day-{number:02d}.md is missing')
    extra = sorted(n for n in numbers if not 1 <= n <= days)
    if extra:
        raise ContentError(
            numbers[extra[0]], 1, f'is day {extra[0]} but program.md says "days": {days}'
        )
    day_list = []
    for number in range(1, days + 1):
        day, day_used = _load_day(numbers[number], number, sources, slug)
        used |= day_used
        day_list.append(day)
    lines = front.item_lines.get("sources", [])
    for index, source_id in enumerate(sources):
        if source_id not in used:
            raise ContentError(
                path,
                lines[index] if index < len(lines) else front.line("sources"),
                f'source "{source_id}" is declared but nothing in the program cites it',
            )
    return Program(
        slug=slug,
        title=title,
        summary=summary,
        days=days,
        minutes_per_day=minutes,
        focus=tuple(f.strip() for f in focus),
        sources=tuple(sources.values()),
        intro=front.body,
        rendered=render(front.body, prefix=f"{slug}-intro", sources=sources),
        day_list=tuple(day_list),
        path=path,
    )


def load_programs(folder: Path = CONTENT_DIR) -> dict[str, Program]:
    """Every program under `folder`, checked; the first problem raises ContentError."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ContentError(folder, 0, "is not a folder of programs")
    programs: dict[str, Program] = {}
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and not entry.name.startswith((".", "_")):
            program = load_program(entry)
            programs[program.slug] = program
    if not programs:
        raise ContentError(folder, 0, "holds no programs (a folder with a program.md each)")
    return programs


@cache
def programs() -> dict[str, Program]:
    """The shipped programs, parsed once per process."""
    return load_programs(CONTENT_DIR)


def get_program(slug: str) -> Program | None:
    return programs().get(slug)


def summary(found: Mapping[str, Program]) -> str:
    days = sum(p.days for p in found.values())
    sources = sum(len(p.sources) for p in found.values())
    return (
        f"{len(found)} program{'s' if len(found) != 1 else ''}, {days} days, "
        f"{sources} sources: all valid"
    )
