"""The index's sample table in headless Chromium (issue 11, item 2): the fragment's filters (`#wrong`, `#true=`,
`#pred=`, `#q=`), sorting, the table without JavaScript, and every visible header over its own column on a phone.

Each check lays index.html out in an iframe of a wrapper page (as `test_browser.look_at` does) and reads the framed
table back: which rows are laid out, in what order, where each header and cell sits. The expectations come from the
fake results themselves (`correct`, labels, probabilities, texts), never from the page's own script.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from reportgen.render.html import render_site
from tests.fakes import make_results
from tests.render.test_browser import chromium, pytestmark  # noqa: F401  (the browser marks and skip)

PROBE = """<!doctype html><html><body style="margin:0">
<iframe id="f" src="{src}"{sandbox} style="border:0;display:block;width:{width}px;height:1500px"></iframe>
<script>
const frame = document.getElementById("f");
frame.addEventListener("load", async () => {{
  const d = frame.contentDocument, w = frame.contentWindow;
  {steps}
  const shown = e => e.getClientRects().length > 0;
  const box = e => {{ const r = e.getBoundingClientRect(); return [r.left, r.right]; }};
  const table = d.querySelector('[data-role="sample-table"]');
  const rows = [...table.tBodies[0].rows];
  document.body.setAttribute("data-probe", JSON.stringify({{
    hash: w.location.hash,
    rows: rows.map(tr => ({{id: tr.getAttribute("data-id"), hidden: tr.hidden, shown: shown(tr)}})),
    heads: [...table.tHead.rows[0].cells].map(th => ({{col: th.getAttribute("data-col"), shown: shown(th),
                                                      box: box(th), sort: th.getAttribute("aria-sort")}})),
    cells: rows.filter(shown).map(tr => [...tr.cells].map(td => shown(td) ? box(td) : null)),
    count: (d.querySelector(".table-count") || {{}}).textContent || null,
    pressed: [...d.querySelectorAll('.table-controls [aria-pressed="true"]')].map(b => b.textContent),
    buttons: d.querySelectorAll("button, input").length,
    clientWidth: d.documentElement.clientWidth, scrollWidth: d.documentElement.scrollWidth }}));
}});
</script></body></html>"""

GAINS = {1: 0.25, 3: -0.5, 4: 0.75}  # doc index -> AOPC gain of its lead map; the others were not scored


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    results = make_results(n_docs=14, task="multiclass", seed=7)
    for k, gain in GAINS.items():
        doc = results.documents[k]
        lead = next(h for h in doc.heatmaps if h.layer == "conv1d")  # the first explained layer leads
        numbers = {"probability": 0.9, "aopc": 0.5 + gain, "random_aopc": 0.5, "lerf_aopc": 0.1, "aopc_gain": gain,
                   "comprehensiveness": 0.4, "sufficiency": 0.1}
        doc.metrics = {"conv1d": {str(lead.target): {"target_label": lead.target_label, "relu": lead.relu,
                                                     "interpolation": lead.interpolation, **numbers}}}
    correct = [d.correct for d in results.documents]
    assert correct.count(False) >= 2 and correct.count(True) >= 2 and None in correct  # the checks can tell
    out = tmp_path_factory.mktemp("table") / "report"
    render_site(results, out)
    return results, out


def probe(out: Path, folder: Path, fragment: str = "", width: int = 1366, steps: str = "",
          scripts: bool = True) -> dict:
    """What the framed index shows at `width` px, loaded with `fragment`, after the JavaScript `steps` (run with
    `d`, the framed document, and `w`, its window); `scripts=False` frames it in a sandbox that runs no script of
    the page's own (the wrapper still measures it)."""
    wrapper = folder / f"probe-{width}.html"
    src = (out / "index.html").as_uri() + fragment
    wrapper.write_text(PROBE.format(src=html.escape(src), width=width, steps=steps,
                                     sandbox="" if scripts else ' sandbox="allow-same-origin"'), encoding="utf-8")
    dom = chromium("--allow-file-access-from-files", "--virtual-time-budget=5000",
                   f"--window-size={max(width, 500)},1600", "--dump-dom", wrapper.as_uri())
    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found, "the probe did not run"
    return json.loads(html.unescape(found.group(1)))


def shown_ids(seen: dict) -> list[str]:
    for row in seen["rows"]:
        assert row["hidden"] == (not row["shown"]), row  # `hidden` is what hides a row, and it does
    return [row["id"] for row in seen["rows"] if row["shown"]]


def ids_where(results, keep) -> list[str]:
    return [d.id for d in results.documents if keep(d)]


def confidence(doc) -> float:
    return max(doc.prediction.probabilities[k] for k in doc.prediction.predicted)


def test_wrong_shows_only_the_wrong_rows(site, tmp_path):
    results, out = site
    seen = probe(out, tmp_path, "#wrong")
    wrong = ids_where(results, lambda d: d.correct is False)
    assert shown_ids(seen) == wrong
    assert seen["count"] == f"{len(wrong)} of {len(results.documents)} samples shown"
    assert seen["pressed"] == ["wrong only"]


def test_sorting_by_confidence_follows_the_probabilities(site, tmp_path):
    results, out = site
    by_id = {d.id: confidence(d) for d in results.documents}

    seen = probe(out, tmp_path, "#sort=-confidence")
    order = shown_ids(seen)
    assert sorted(order) == sorted(by_id)
    assert [by_id[i] for i in order] == sorted(by_id.values(), reverse=True)
    assert {h["col"]: h["sort"] for h in seen["heads"]}["confidence"] == "descending"

    # the header's button: one click sorts ascending and writes it to the fragment
    seen = probe(out, tmp_path, "#wrong", steps='d.querySelector(\'th[data-col="confidence"] button\').click();')
    order = shown_ids(seen)
    assert sorted(order) == sorted(ids_where(results, lambda d: d.correct is False))
    assert [by_id[i] for i in order] == sorted(by_id[i] for i in order)
    assert seen["hash"] == "#wrong&sort=confidence"
    assert {h["col"]: h["sort"] for h in seen["heads"]}["confidence"] == "ascending"


def test_samples_without_a_score_sort_last_either_way(site, tmp_path):
    results, out = site
    ids = [d.id for d in results.documents]
    rest = [i for k, i in enumerate(ids) if k not in GAINS]
    by_gain = sorted(GAINS, key=GAINS.get)
    assert shown_ids(probe(out, tmp_path, "#sort=gain")) == [ids[k] for k in by_gain] + rest
    assert shown_ids(probe(out, tmp_path, "#sort=-gain")) == [ids[k] for k in reversed(by_gain)] + rest


@pytest.mark.parametrize("label", [2, 1], ids=["markup-label", "ampersand-label"])
def test_true_and_pred_filter_by_label(site, tmp_path, label):
    results, out = site
    name = results.model.labels[label]  # "<b>politics</b>", "tech & science": escaped in the page, encoded here
    true = ids_where(results, lambda d: label in (d.true_labels or []))
    pred = ids_where(results, lambda d: label in d.prediction.predicted)
    assert true and pred
    assert shown_ids(probe(out, tmp_path, "#true=" + quote(name, safe=""))) == true
    assert shown_ids(probe(out, tmp_path, "#pred=" + quote(name, safe=""))) == pred


def test_search_and_combined_filters(site, tmp_path):
    results, out = site
    word = "boring"
    having = ids_where(results, lambda d: word in d.text.lower())
    assert 0 < len(having) < len(results.documents)
    seen = probe(out, tmp_path, "#q=" + word.upper())  # case does not matter
    assert shown_ids(seen) == having
    assert seen["count"] == f"{len(having)} of {len(results.documents)} samples shown"

    label = results.documents[0].true_labels[0]  # the nasty first sample: its id is "<script>alert(1)</script>"
    seen = probe(out, tmp_path, f"#wrong&true={quote(results.model.labels[label], safe='')}&q=")
    assert shown_ids(seen) == ids_where(results, lambda d: d.correct is False and label in (d.true_labels or []))
    seen = probe(out, tmp_path, "#q=" + quote("<script>", safe=""))  # search looks in the ids too
    assert shown_ids(seen) == ids_where(results, lambda d: "<script>" in d.id.lower() or "<script>" in d.text.lower())


def test_a_changed_fragment_updates_the_view(site, tmp_path):
    results, out = site
    label = 0
    steps = ("await new Promise(done => { w.addEventListener('hashchange', done, {once: true}); "
             f"w.location.hash = 'true={quote(results.model.labels[label], safe='')}'; }});")
    seen = probe(out, tmp_path, "#wrong", steps=steps)
    assert shown_ids(seen) == ids_where(results, lambda d: label in (d.true_labels or []))


def test_without_javascript_every_row_is_shown_in_report_order(site, tmp_path):
    """The page's script is kept from running by a sandboxed frame (no `allow-scripts`): this headless Chromium
    dumps no DOM and takes no screenshot under `--blink-settings=scriptEnabled=false`."""
    results, out = site
    seen = probe(out, tmp_path, "#wrong", scripts=False)
    assert shown_ids(seen) == [d.id for d in results.documents]
    assert seen["count"] is None and seen["pressed"] == []
    assert all(h["sort"] is None for h in seen["heads"]) and seen["buttons"] == 0  # no dead controls
    # the same page with its script hides rows: the sandbox is what kept them
    assert len(shown_ids(probe(out, tmp_path, "#wrong"))) < len(results.documents)


def test_every_visible_header_sits_over_its_column_on_a_phone(site, tmp_path):
    results, out = site
    seen = probe(out, tmp_path, "#sort=-confidence", width=390)
    assert seen["clientWidth"] == 390 and seen["scrollWidth"] <= seen["clientWidth"]  # the page does not scroll
    heads = seen["heads"]
    visible = [k for k, h in enumerate(heads) if h["shown"]]
    assert 3 <= len(visible) < len(heads)  # some columns give way on a phone ...
    assert "text" not in [heads[k]["col"] for k in visible]
    assert len(seen["cells"]) == len(results.documents)
    for cells in seen["cells"]:  # ... each with its header: the same columns shown, at the same place
        assert [k for k, c in enumerate(cells) if c is not None] == visible
        for k in visible:
            (th_left, th_right), (td_left, td_right) = heads[k]["box"], cells[k]
            assert abs(th_left - td_left) < 1 and abs(th_right - td_right) < 1, (heads[k]["col"], heads[k], cells[k])
