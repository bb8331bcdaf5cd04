"""The `kinwell` command's contract for what it does not know."""

import pytest

from kinwell import cli


@pytest.mark.parametrize("name", ["0", "migrat", "nosuchcommand"])
def test_an_unknown_command_is_one_line_and_status_2(name, capsys):
    # Django answered these with two lines and status 1 (found by fuzzing).
    with pytest.raises(SystemExit) as exited:
        cli.main([name])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"kinwell: unknown command {name!r}")


def test_a_django_command_still_runs(capsys):
    assert cli.main(["version"]) == 0
    assert capsys.readouterr().out.strip()
