"""The colour terminal's legend names the hues it paints (the report's palette), with the scale's numbers."""

from __future__ import annotations

import re

from reportgen.render.terminal import legend_line
from reportgen.report.colors import LEVELS, level_rgb, palette
from tests.fakes import make_results


def test_the_colour_legend_names_the_hues_its_swatches_are_painted_with():
    doc = make_results(n_docs=1, seed=2, nasty=False).documents[0]
    heatmap = doc.heatmaps[0]
    line = legend_line(heatmap, 2.0, use_color=True)
    hues = palette()
    assert f"{hues.negative_name} against {heatmap.target_label}, {hues.positive_name} for it" in line
    assert f"{LEVELS} levels of 0.25" in line  # 2.0 / 8
    painted = [tuple(map(int, rgb)) for rgb in re.findall(r"\x1b\[48;2;(\d+);(\d+);(\d+)m", line)]
    assert painted[0] == level_rgb(-LEVELS) and painted[-1] == level_rgb(LEVELS)
    # the named hue is the one painted: the positive end is bluer than it is red on the default palette
    r, g, b = painted[-1]
    assert (b > r) == (hues.positive_name == "blue")
