"""Every command's --help and README.md agree: each command has help text with an example,
a section in the README's command reference, and every option named there.

(The shape of sqlite-utils' tests/test_docs.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from l2csim.cli import LOG_FLAGS, cli

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def section(name: str) -> str:
    """The README's reference section of a command: from its heading to the next one."""
    match = re.search(rf"^### `l2csim {name}\b.*?(?=^##)", README, re.S | re.M)
    assert match, f"README.md has no section '### `l2csim {name} ...`'"
    return match.group(0)


def options(command: click.Command) -> list[tuple[str, str | None]]:
    """(long option name, parameter name) of a command's options (not --help)."""
    names = []
    for param in command.params:
        if isinstance(param, click.Option):
            long = [o for o in param.opts if o.startswith("--") and o != "--help"]
            names += [(name, param.name) for name in long[:1]]
    return names


def mentions(text: str, option: str) -> bool:
    return re.search(rf"{re.escape(option)}(?![\w-])", text) is not None


def test_every_command_is_listed() -> None:
    assert sorted(
        ["check", "compare", "customers", "fit", "forecast", "mine", "report", "sample", "simulate",
         "study", "sweep", "validate"]
    ) == COMMANDS  # fmt: skip


@pytest.mark.parametrize("name", COMMANDS)
def test_help_has_text_and_an_example(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    command = cli.commands[name]
    assert command.help and len(command.help.split()) > 10
    assert "Example" in result.output and f"l2csim {name}" in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_readme_documents_the_command_and_its_options(name: str) -> None:
    text = section(name)
    shared = section("check") if name != "check" else ""
    for option, dest in options(cli.commands[name]):
        where = text
        if dest in LOG_FLAGS:
            where = text + shared  # the log flags are described once, under check
        if name in ("compare", "study", "validate"):
            where += section("simulate")  # "options as for simulate"
        assert mentions(where, option), f"README: `l2csim {name}` does not mention {option}"


def test_readme_documents_the_global_options() -> None:
    for option, _ in options(cli):
        assert mentions(README, f"l2csim {option}"), option
