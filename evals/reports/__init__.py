"""Report writers: terminal (rich), JSON, self-contained HTML and JUnit XML."""

from __future__ import annotations

from evals.reports.html_report import render_html
from evals.reports.json_report import report_dict
from evals.reports.junit import render_junit
from evals.reports.terminal import print_comparison, print_summary

__all__ = ["print_comparison", "print_summary", "render_html", "render_junit", "report_dict"]
