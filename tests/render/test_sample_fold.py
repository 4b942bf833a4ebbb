"""The sample page keeps the lead and the evidence open and folds the rest of the grid (issue 15, item 5)."""

from __future__ import annotations

import html
import re

from reportgen.render import html as site
from reportgen.report.structure import plan_site
from tests.fakes import make_results


def test_variants_and_interpolations_are_closed_details_with_a_summary_line(tmp_path):
    results = make_results(n_docs=3, task="multiclass", seed=11, targets="all", counterfactual=(False, True),
                           interpolation=("linear", "nearest"))
    site.render_site(results, tmp_path)
    plan = plan_site(results)
    for doc, path in zip(results.documents, plan.sample_paths):
        source = (tmp_path / path).read_text(encoding="utf-8")
        details = re.findall(r"<details[^>]*>", source)
        assert details and all(" open" not in d for d in details)  # nothing below the lead starts open
        layers = sorted({h.layer for h in doc.heatmaps})
        assert source.count('<details class="layer-section">') == len(layers)
        for layer in layers:
            maps = sum(1 for h in doc.heatmaps if h.layer == layer and h.interpolation == "linear")
            summary = re.search(rf'<summary>Layer <a [^>]*>{re.escape(html.escape(layer))}</a> <span class="muted">'
                                rf'· ([^<]*)</span></summary>', source)  # labels are escaped: no "<" inside
            line = html.unescape(summary.group(1)) if summary else ""
            assert line.startswith(f"{maps} maps · targets "), layer
            assert "relu, signed" in line and "counterfactual" in line
            assert all(label in line for label in results.model.labels)
        fold = source.index('<details class="fold">')
        assert "Interpolation kinds compared" in source[fold:source.index("</details>", fold)]
        assert "linear, nearest" in source[fold:source.index("</summary>", fold)]
        # the verdict, the evidence and the lead map stay outside every <details>
        first = source.index("<details")
        for part in ('class="labels"', 'data-role="evidence"', 'class="main-map"'):
            assert source.index(part) < first, part
