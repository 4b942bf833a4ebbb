"""The corpus evidence page as format-neutral data: per label and explained layer, the words that drive the label
across every explained document (`ReportResults.corpus_evidence`, made by `reportgen.corpus`), their numbers
as text, the chart's rows, the possible shortcuts first, and where each example document can be read.

The site and the PDF render the same `CorpusView`; nothing here knows HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence
from urllib.parse import quote

from reportgen.report.colors import format_number as _format_number
from reportgen.results import round_float

if TYPE_CHECKING:
    from reportgen.results import CorpusEvidence, LabelEvidence, WordEvidence

DIGITS = 3
SHORTCUTS_SHOWN = 12  # flagged words in the callout; the rest are marked in the tables
PLACES_SHOWN = 3  # labels and layers named per flagged word, strongest first
FLAG_WORDS = {
    "token": "model token",
    "markup": "markup",
    "number": "number",
    "name": "name",
    "punctuation": "punctuation",
}
FLAG_WHY = {
    "model token": "a token the model adds, not in the text (a start or out-of-vocabulary marker)",
    "markup": "HTML or URL residue (such as br from <br />), not language",
    "number": "a number (ratings, years, counts)",
    "name": "capitalised where no sentence starts: a person, place or title",
    "punctuation": "no letter or digit",
}
NORMALISATION = ("Each document's map is divided by its largest |weight| before its words are summed, so every "
                 "document counts alike, whatever its length or confidence.")


@dataclass
class ExampleLink:
    doc_id: str
    path: str  # from the site's root: the document's page, else the index filtered to it
    has_page: bool
    weight_text: str


@dataclass
class WordRow:
    word: str
    direction: str  # "toward" or "away"
    total: float
    total_low: float | None
    total_high: float | None
    total_text: str
    total_ci_text: str
    mean_text: str
    mean_ci_text: str
    documents: int
    flags: list[str]
    flag_text: str  # "" when not flagged
    examples: list[ExampleLink]


@dataclass
class LayerSection:
    anchor: str
    layer: str
    label: str
    target: int
    documents: int
    vocabulary: int
    min_documents: int
    toward: list[WordRow]  # by total
    away: list[WordRow]
    toward_mean: list[WordRow]  # by mean, among words in min_documents documents or more
    away_mean: list[WordRow]
    shortcuts: list[WordRow]  # flagged words of the four rankings, each once, by |total|
    chart_title: str
    chart_desc: str


@dataclass
class ShortcutPlace:
    """Where a flagged word ranks: its label, layer and section anchor, direction and numbers there."""

    label: str
    layer: str
    anchor: str
    direction: str
    total_text: str
    total_ci_text: str
    documents: int


@dataclass
class ShortcutWord:
    """A flagged word once, with every label and layer where it ranks (strongest first)."""

    word: str
    flags: list[str]
    flag_text: str
    strongest: float  # its largest |total| over the places
    places: list[ShortcutPlace]
    examples: list[ExampleLink]  # at its strongest place


@dataclass
class LabelSection:
    anchor: str
    label: str
    target: int
    layers: list[LayerSection]


@dataclass
class CorpusView:
    labels: list[LabelSection]
    bootstrap: int
    confidence_text: str  # "95 %"
    normalisation: str
    shortcuts: list[ShortcutWord]  # every flagged word of every section, strongest first
    shortcuts_shown: int  # how many of them the callout lists
    places_shown: int  # how many places it names per word
    flag_why: dict[str, str]


def format_number(value: float, digits: int = DIGITS, signed: bool = False) -> str:
    """A number as the page shows it, rounded first as explanations.json keeps it (FLOAT_DIGITS): a page rendered
    from the build's own floats and one rendered from the JSON then read the same (−10.04999999 and its stored
    −10.05 would print −10 and −10.1)."""
    return _format_number(round_float(value), digits, signed)


def _number(value: float | None) -> str:
    return "\u2014" if value is None else format_number(value, DIGITS)


def _interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "\u2014"
    return f"{format_number(low, DIGITS)} \u2026 {format_number(high, DIGITS)}"


def example_path(doc_id: str, pages: Mapping[str, str]) -> tuple[str, bool]:
    """The document's page when it has one, else the index filtered to its id (`index.html#q=ID`)."""
    if doc_id in pages:
        return pages[doc_id], True
    return "index.html#q=" + quote(doc_id, safe=""), False


def word_row(word: "WordEvidence", direction: str, pages: Mapping[str, str]) -> WordRow:
    examples = []
    for example in word.examples:
        path, has_page = example_path(example.doc_id, pages)
        examples.append(ExampleLink(example.doc_id, path, has_page, format_number(example.weight, DIGITS, True)))
    # the chart draws these: rounded as explanations.json keeps them, like the text
    return WordRow(word=word.word, direction=direction, total=round_float(word.total),
                   total_low=round_float(word.total_low), total_high=round_float(word.total_high), total_text=format_number(word.total, DIGITS, True),
                   total_ci_text=_interval(word.total_low, word.total_high),
                   mean_text=format_number(word.mean, DIGITS, True),
                   mean_ci_text=_interval(word.mean_low, word.mean_high), documents=word.documents,
                   flags=list(word.flags), flag_text=", ".join(FLAG_WORDS.get(f, f) for f in word.flags),
                   examples=examples)


def _shortcuts(rows: list[WordRow]) -> list[WordRow]:
    seen: dict[str, WordRow] = {}
    for row in rows:
        if row.flags and row.word not in seen:
            seen[row.word] = row
    return sorted(seen.values(), key=lambda r: (-abs(r.total), r.word))


def _chart_desc(label: str, toward: list[WordRow], away: list[WordRow]) -> str:
    def words(rows: list[WordRow]) -> str:
        return ", ".join(f"{r.word} {r.total_text} ({r.total_ci_text})" for r in rows) or "none"
    return f"Toward {label}: {words(toward)}. Away from {label}: {words(away)}."


def layer_section(evidence: "LabelEvidence", anchor: str, pages: Mapping[str, str],
                  top: int | None = None) -> LayerSection:
    toward = [word_row(w, "toward", pages) for w in evidence.toward[:top]]
    away = [word_row(w, "away", pages) for w in evidence.away[:top]]
    toward_mean = [word_row(w, "toward", pages) for w in evidence.toward_mean[:top]]
    away_mean = [word_row(w, "away", pages) for w in evidence.away_mean[:top]]
    return LayerSection(anchor=anchor, layer=evidence.layer, label=evidence.label, target=evidence.target,
                        documents=evidence.documents, vocabulary=evidence.vocabulary,
                        min_documents=evidence.min_documents, toward=toward, away=away, toward_mean=toward_mean,
                        away_mean=away_mean, shortcuts=_shortcuts(toward + away + toward_mean + away_mean),
                        chart_title=f"Words toward and away from {evidence.label} at layer {evidence.layer}: "
                                    f"total normalised weight with bootstrap intervals",
                        chart_desc=_chart_desc(evidence.label, toward, away))


def shortcut_words(labels: list[LabelSection]) -> list[ShortcutWord]:
    """The flagged words of every section, each once with the places it ranks, by their largest |total|."""
    found: dict[str, list[tuple[WordRow, LayerSection]]] = {}
    for section in labels:
        for layer in section.layers:
            for row in layer.shortcuts:
                found.setdefault(row.word, []).append((row, layer))
    out = []
    for word, places in found.items():
        places.sort(key=lambda p: -abs(p[0].total))  # stable: report order among equals
        first = places[0][0]
        out.append(ShortcutWord(word=word, flags=first.flags, flag_text=first.flag_text, strongest=abs(first.total),
                                places=[ShortcutPlace(layer.label, layer.layer, layer.anchor, row.direction,
                                                      row.total_text, row.total_ci_text, row.documents)
                                        for row, layer in places],
                                examples=first.examples))
    return sorted(out, key=lambda w: (-w.strongest, w.word))


def corpus_view(evidence: "CorpusEvidence | None", pages: Mapping[str, str] | None = None,
                layers: Sequence[str] | None = None, top: int | None = None) -> CorpusView | None:
    """`pages`: document id -> path of its page from the site's root (documents without one link to the index).
    `layers`: only these layers (the PDF shows the layers it shows elsewhere); `top`: at most this many words
    per ranking."""
    if evidence is None:
        return None
    items = [item for item in evidence.labels if layers is None or item.layer in layers]
    if not items:
        return None
    pages = pages or {}
    sections: dict[int, LabelSection] = {}
    layer_count: dict[int, int] = {}
    for item in items:
        section = sections.get(item.target)
        if section is None:
            section = sections[item.target] = LabelSection(f"label-{item.target}", item.label, item.target, [])
        k = layer_count[item.target] = layer_count.get(item.target, 0) + 1
        section.layers.append(layer_section(item, f"label-{item.target}-layer-{k}", pages, top))
    labels = [sections[t] for t in sorted(sections)]
    shortcuts = shortcut_words(labels)
    return CorpusView(labels=labels, bootstrap=evidence.bootstrap,
                      confidence_text=f"{format_number(evidence.confidence * 100, 3)} %",
                      normalisation=NORMALISATION, shortcuts=shortcuts, shortcuts_shown=SHORTCUTS_SHOWN,
                      places_shown=PLACES_SHOWN, flag_why=dict(FLAG_WHY))


def corpus_evidence_of(results: Any) -> "CorpusEvidence | None":
    """The results' corpus evidence, None when the build made none (or predates the field)."""
    return getattr(results, "corpus_evidence", None)


def pdf_corpus_evidence(results: Any) -> "CorpusEvidence | None":
    """The corpus evidence report.pdf shows: only when the corpus holds documents without a page. Evidence over
    the samples alone stays on the site's corpus page; the paper keeps its page budget for the samples."""
    corpus = getattr(results, "corpus", None)
    if corpus is None or corpus.documents <= len(results.documents):
        return None
    return corpus_evidence_of(results)
