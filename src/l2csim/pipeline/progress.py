"""How `l2csim study` shows its progress: a rich display on a terminal (the stage under way,
its replications, the stages done), plain lines when the output is piped or logged.

Either way every finished stage ends in one line `NAME  done in S s` or `NAME  reused`,
and the run ends with a table of the time each stage took.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress
from rich.table import Table

from l2csim.pipeline.run import StudyRun


class StudyProgress:
    """A `pipeline.run.Progress` that draws on `console` (quiet when it is not a terminal)."""

    def __init__(self, console: Console, stages: int | None = None) -> None:
        self.console = console
        self.live = console.is_terminal
        self._bar = RichProgress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not self.live,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> StudyProgress:
        self._bar.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._bar.__exit__(kind, error, trace)

    def started(self, stage: str, steps: int | None) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(escape(stage), total=steps)

    def step(self) -> None:
        if self._task is not None:
            self._bar.advance(self._task)

    def finished(self, stage: str, reused: bool, seconds: float) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
            self._task = None
        detail = "reused" if reused else f"done in {seconds:.1f} s"
        style = "dim" if reused else "green"
        self.console.print(f"{escape(stage):<28} [{style}]{detail}[/{style}]")


def timings_table(run: StudyRun) -> Table:
    """Seconds per stage in this run (0 when reused) and when it last ran; the run's total."""
    table = Table(title="Time per stage (s)", title_justify="left")
    table.add_column("stage")
    table.add_column("status")
    table.add_column("this run", justify="right")
    table.add_column("when it ran", justify="right")
    for outcome in run.outcomes:
        table.add_row(
            escape(outcome.name),
            "reused" if outcome.reused else "ran",
            f"{outcome.seconds:.1f}",
            f"{outcome.ran_seconds:.1f}",
        )
    table.add_row(
        "total (wall clock)",
        "",
        f"{run.wall_seconds:.1f}",
        f"{sum(o.ran_seconds for o in run.outcomes):.1f}",
        style="bold",
    )
    return table
