"""The report's findings a reviewer must see first, computed once from a ReportResults.

One list feeds the index's alerts box (`data-role="alerts"`), the top of the PDF summary and the terminal's
warnings after a build. Each alert is one sentence and a link to where the report explains it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reportgen.results import ReportResults


@dataclass(frozen=True)
class Alert:
    kind: str  # a stable name users and tests can key on: "sanity-failed", "curated-accuracy", ...
    severity: str  # "warning" (changes how the maps may be read) or "info"
    text: str  # one plain-text sentence; templates escape it
    link: str | None = None  # where it is explained, relative to the report's root ("metrics.html#sanity")
    link_text: str = ""


def report_alerts(results: "ReportResults") -> list[Alert]:
    """The findings of `results`, warnings first, in a fixed order."""
    return []
