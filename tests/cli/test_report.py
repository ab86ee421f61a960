"""`l2csim report`: exit codes, messages and the file written."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from l2csim.cli import cli


def test_report_writes_the_file_named(study_out: Path, tmp_path: Path) -> None:
    target = tmp_path / "board" / "report.html"
    result = CliRunner().invoke(cli, ["report", str(study_out), "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Wrote {target}"
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and 'data-section="appendix"' in text
    assert not list(target.parent.glob("*.part"))


def test_report_defaults_into_the_study_folder(study_out: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(study_out)])
    assert result.exit_code == 0, result.output
    assert (study_out / "report" / "report.html").is_file()


def test_report_on_a_missing_folder_says_what_to_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "no such study output folder; run `l2csim study` first" in result.output
    assert "Traceback" not in result.output


def test_report_help_has_an_example() -> None:
    result = CliRunner().invoke(cli, ["report", "--help"])
    assert result.exit_code == 0
    assert "l2csim report outputs/study" in result.output
