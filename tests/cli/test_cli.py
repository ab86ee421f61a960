"""The command line as a whole: every command documented, errors as one line, never a traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from l2csim import __version__
from l2csim.cli import cli

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_command_has_help_with_an_example_and_is_in_the_readme() -> None:
    runner = CliRunner()
    readme = README.read_text(encoding="utf-8")
    assert cli.commands, "no commands registered"
    for name in cli.commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example" in result.output, f"`l2csim {name} --help` shows no example"
        assert f"l2csim {name}" in readme, f"`l2csim {name}` is not documented in README.md"


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_user_error_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "missing.csv")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {tmp_path / 'missing.csv'}: file not found."
    ]
    assert result.exception is None or isinstance(result.exception, SystemExit)
