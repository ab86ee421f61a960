"""Public holidays by country and region: named as the study names them, refused with the fix."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from l2csim.errors import StudyError
from l2csim.public_holidays import holiday_calendar, holiday_name
from l2csim.study import load_study

REPO = Path(__file__).resolve().parents[1]


def test_a_country_and_a_region_name_their_holidays() -> None:
    england = holiday_calendar("GB-ENG", [2026])
    assert holiday_name(england[dt.date(2026, 12, 28)]) == "Boxing Day"  # observed on Monday
    assert dt.date(2026, 4, 6) in england  # Easter Monday 2026
    assert dt.date(2026, 11, 26) in holiday_calendar("us", [2026])  # Thanksgiving


def test_an_unknown_calendar_says_how_to_name_one(tmp_path) -> None:
    with pytest.raises(ValueError, match="'GB-ENG'"):
        holiday_calendar("XX", [2025])
    with pytest.raises(ValueError, match="unknown public-holiday calendar 'GB-XYZ'"):
        holiday_calendar("GB-XYZ", [2025])
    study = tmp_path / "study.yaml"
    study.write_text("log: {path: log.csv}\ncalendar: {public_holidays: Narnia}\n")
    with pytest.raises(StudyError) as error:
        load_study(study)
    message = str(error.value)
    assert "calendar.public_holidays" in message and "'Narnia'" in message
    assert "'DE', 'GB-ENG', 'US-CA'" in message


def test_checking_the_study_s_calendar_does_not_load_pandas() -> None:
    """A short command reads the study file: its public holidays must not cost the fit's
    imports."""
    code = (
        "import sys; from l2csim.study import load_study; "
        f"load_study({str(REPO / 'scenarios' / 'study.yaml')!r}); "
        "print('pandas' in sys.modules, 'holidays' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
