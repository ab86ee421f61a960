"""The steering-group report: one self-contained, printable HTML file from a study's outputs."""

from l2csim.report.build import build_report

__all__ = ["build_report"]
