"""Ranked evidence: the words of one document that push toward the explained label and away from it.

For one heatmap of one document, every token's weight is added to its *word form*: the token as written in
the text (its span; the token's own text when it has none), lowercased (`str.lower`), with punctuation at its
edges trimmed ("Movie," and "movie" are one form; a token that is all punctuation, "!", keeps its text). A
character or subword model's pieces are first gathered into words (`spans.aggregate_words`, the word panels'
rule, whenever `spans.splits_words`), so "##er" is counted as part of "player", never on its own.
The sum runs over the form's occurrences within this document only; tokens without a weight (cut by
truncation) and non-finite weights are left out; each weight is first rounded as explanations.json
keeps it (`results.round_float`), so a page re-rendered from the JSON shows the same sums. The forms with a positive sum push toward the label, those
with a negative sum away; the `top` largest |sum| of each side are kept, ties broken by first occurrence.

Format-neutral: `reportgen.render.evidence_chart` draws it as SVG, the templates add the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from reportgen.report.colors import format_number, format_weight
from reportgen.report.spans import aggregate_words, align_weights, splits_words
from reportgen.results import Token, round_float

if TYPE_CHECKING:
    from reportgen.results import DocumentExplanation, Heatmap

TOP = 8
HOW = "summed over each word's occurrences, lowercased"


@dataclass(frozen=True)
class EvidenceWord:
    word: str  # the word form (lowercased, edges trimmed)
    weight: float  # summed over its occurrences
    count: int  # occurrences in the document
    first: int  # position (token order) of its first occurrence

    @property
    def weight_text(self) -> str:
        """The weight as chart and table print it (3 significant digits, signed, a true minus)."""
        return format_number(self.weight, 3, signed=True)

    @property
    def exact(self) -> str:
        """The weight for `data-w` (ASCII, 7 significant digits)."""
        return format_weight(self.weight)


@dataclass(frozen=True)
class Evidence:
    layer: str
    target_label: str
    variant: str
    toward: tuple[EvidenceWord, ...]
    away: tuple[EvidenceWord, ...]
    palette: str | None = None
    which: str = "predicted"  # whose evidence: "predicted" (the lead map's label) or "true" (a wrong prediction's)

    @property
    def heading(self) -> str:
        """The chart's heading, naming the label: "Evidence for the true label, negative"."""
        return f"Evidence for the {self.which} label, {self.target_label}"

    @property
    def desc(self) -> str:
        """Every word and weight of the chart in one line, its text equivalent (the SVG's `<desc>`, alt text in
        the PDF): "toward positive: sissy +0.961, thumbs +0.521; away from positive: falls −0.336"."""
        sides = []
        for side, words in ((f"toward {self.target_label}", self.toward),
                            (f"away from {self.target_label}", self.away)):
            listed = ", ".join(f"{w.word} {w.weight_text}" for w in words) or "no word"
            sides.append(f"{side}: {listed}")
        return "; ".join(sides)

    @property
    def words(self) -> tuple[EvidenceWord, ...]:
        return self.toward + self.away

    @property
    def max_abs(self) -> float:
        return max((abs(w.weight) for w in self.words), default=0.0)

    @property
    def caption(self) -> str:
        variant = "" if self.variant == "signed" else f", {self.variant} map"
        return (f"Words pushing toward {self.target_label} and away from it: weights of layer {self.layer}"
                f"{variant}, {HOW}.")

    @property
    def title(self) -> str:
        return (f"Top words toward {self.target_label} ({len(self.toward)}) and away from it "
                f"({len(self.away)}), layer {self.layer}")


def word_form(text: str) -> str:
    """The form a word is counted under: lowercased, punctuation and symbols at its edges trimmed."""
    lowered = text.lower()
    start, end = 0, len(lowered)
    while start < end and not lowered[start].isalnum():
        start += 1
    while end > start and not lowered[end - 1].isalnum():
        end -= 1
    return lowered[start:end] if end > start else lowered.strip()


def word_sums(text: str, tokens: Sequence[Token], weights: Sequence[float | None]) -> list[EvidenceWord]:
    """Every word form of the document with its summed weight, in order of first occurrence."""
    if splits_words(text, tokens):
        tokens, weights = aggregate_words(text, tokens, weights)
    sums: dict[str, list] = {}  # form -> [sum, count, first]
    for position, (token, weight) in enumerate(zip(tokens, weights)):
        weight = round_float(weight)  # what explanations.json keeps: a page re-rendered from it is the same
        if weight is None:
            continue
        written = text[token.span[0]:token.span[1]] if token.span is not None else token.text
        form = word_form(written)
        if not form:
            continue
        entry = sums.setdefault(form, [0.0, 0, position])
        entry[0] += weight
        entry[1] += 1
    return [EvidenceWord(form, round_float(s) or 0.0, n, first) for form, (s, n, first) in sums.items()]


def rank(words: Sequence[EvidenceWord], top: int = TOP) -> tuple[tuple[EvidenceWord, ...], tuple[EvidenceWord, ...]]:
    """The `top` forms pushing toward (largest sum first) and away (most negative first); ties by first
    occurrence. Forms summing to exactly 0 are on neither side."""
    toward = sorted((w for w in words if w.weight > 0), key=lambda w: (-w.weight, w.first))
    away = sorted((w for w in words if w.weight < 0), key=lambda w: (w.weight, w.first))
    return tuple(toward[:top]), tuple(away[:top])


def evidence(doc: "DocumentExplanation", heatmap: "Heatmap", top: int = TOP,
             palette: str | None = None, which: str = "predicted") -> Evidence:
    """The ranked evidence of `heatmap` (one of `doc`'s maps); `which` label it explains ("predicted", "true")."""
    weights = align_weights(doc.tokens, heatmap.weights, doc.input.truncating_side)
    toward, away = rank(word_sums(doc.text or "", doc.tokens, weights), top)
    return Evidence(heatmap.layer, heatmap.target_label, heatmap.variant, toward, away, palette, which)
