"""Subword (WordPiece) tokens gathered into the words of the text: word panels, word sums and the ranked
evidence read whole words, checked against sums done by hand; word-level tokens stay as they are."""

from __future__ import annotations

import dataclasses
import re

from reportgen.report.evidence import evidence, word_sums
from reportgen.report.spans import aggregate_words, splits_words
from reportgen.report.structure import Orders
from reportgen.report.views import Views
from reportgen.results import DocumentExplanation, Heatmap, InputInfo, Prediction, Token
from tests.fakes import make_results

TEXT = "The player's unbreakable record. Players break records!"
#       0123456789012345678901234567890123456789012345678901234
# WordPiece-like pieces: (text, start, end); "##" marks a piece that continues a word
PIECES = [("the", 0, 3), ("play", 4, 8), ("##er", 8, 10), ("'", 10, 11), ("s", 11, 12), ("un", 13, 15),
          ("##break", 15, 20), ("##able", 20, 24), ("record", 25, 31), (".", 31, 32), ("play", 33, 37),
          ("##ers", 37, 40), ("break", 41, 46), ("record", 47, 53), ("##s", 53, 54), ("!", 54, 55)]
# powers of two: every sum below is exact in floating point
WEIGHTS = [0.5, 0.25, -0.125, 1.0, 0.0625, -2.0, 0.5, 0.25, 4.0, -0.5, 0.125, 0.25, -1.0, -0.25, 2.0, 0.03125]


def subword_tokens() -> list[Token]:
    tokens = [Token(text, (start, end)) for text, start, end in PIECES]
    for token in tokens:  # the pieces are cut from the text as written, case aside
        assert TEXT[token.span[0]:token.span[1]].lower() == token.text.removeprefix("##")
    return tokens


def test_subwords_sum_into_their_words_by_hand():
    tokens, weights = aggregate_words(TEXT, [Token("[CLS]", None)] + subword_tokens(), [9.0] + WEIGHTS)
    assert [(t.text, t.span) for t in tokens] == [
        ("[CLS]", None), ("The", (0, 3)), ("player's", (4, 12)), ("unbreakable", (13, 24)), ("record.", (25, 32)),
        ("Players", (33, 40)), ("break", (41, 46)), ("records!", (47, 55))]
    assert weights == [9.0, 0.5, 0.25 - 0.125 + 1.0 + 0.0625, -2.0 + 0.5 + 0.25, 4.0 - 0.5, 0.125 + 0.25, -1.0,
                       -0.25 + 2.0 + 0.03125]


def test_evidence_counts_word_forms_never_pieces():
    sums = {w.word: (w.weight, w.count) for w in word_sums(TEXT, subword_tokens(), WEIGHTS)}
    # by hand: "record." and "records!" are different forms; "player's" keeps its inner apostrophe
    assert sums == {"the": (0.5, 1), "player's": (1.1875, 1), "unbreakable": (-1.25, 1), "record": (3.5, 1),
                    "players": (0.375, 1), "break": (-1.0, 1), "records": (1.78125, 1)}
    assert not any(word.startswith("##") or word in ("er", "able", "s") for word in sums)


def test_a_truncated_subword_leaves_its_word_the_others_sum():
    weights = WEIGHTS[:-3] + [None, None, None]  # "records!" cut off after "record"
    sums = {w.word: w.weight for w in word_sums(TEXT, subword_tokens(), weights)}
    assert "records" not in sums and sums["break"] == -1.0 and sums["unbreakable"] == -1.25


def test_which_tokens_split_words():
    assert splits_words(TEXT, subword_tokens())
    chars = "ab c"
    assert splits_words(chars, [Token(ch, (i, i + 1)) for i, ch in enumerate(chars) if ch != " "])
    # a word tokenizer: pieces of one written word are apart ("well-known") or touch at punctuation only
    words = "A well-known movie, it's fine."
    word_tokens = [Token(m.group(), (m.start(), m.end())) for m in re.finditer(r"\w+|[^\w\s]", words)]
    assert [t.text for t in word_tokens][1:4] == ["well", "-", "known"]
    assert not splits_words(words, word_tokens)
    assert not splits_words(words, [Token(m.group(), (m.start(), m.end())) for m in re.finditer(r"\w+", words)])
    # overlapping n-grams are not pieces of a word
    assert not splits_words("new york city", [Token("new york", (0, 8)), Token("york city", (4, 13))])
    # WordPiece with every word whole in the vocabulary: nothing to sum
    assert not splits_words("Rose 5%", [Token("rose", (0, 4)), Token("5", (5, 6)), Token("%", (6, 7))])
    assert not splits_words("", [])


def subword_results(aggregate: str):
    """Fake results whose first document is TEXT cut into PIECES, with WEIGHTS on its signed lead map."""
    results = make_results(n_docs=2, level="word", aggregate=aggregate, seed=3, nasty=False, layers=("conv1d",),
                           relu=(False,))
    doc = results.documents[0]
    heatmaps = [dataclasses.replace(h, weights=list(WEIGHTS), layer_resolution=len(WEIGHTS)) for h in doc.heatmaps]
    results.documents[0] = dataclasses.replace(doc, text=TEXT, tokens=subword_tokens(), heatmaps=heatmaps,
                                               input=InputInfo(len(WEIGHTS)), layer_maps=[])
    return results


def test_word_panels_show_whole_words_of_a_subword_document():
    results = subword_results("word")
    views = Views(results, Orders.of(results))
    h = results.documents[0].heatmaps[0]
    panel = views.word_panel(0, h, "caption")
    assert panel is not None and panel.view == "word"
    assert panel.highlight.text == TEXT
    words = [m.span() for m in re.finditer(r"\S+", TEXT)]
    position = 0
    for segment in panel.highlight.segments:  # a highlighted run begins and ends where words do
        end = position + len(segment.text)
        if segment.level:
            assert position in {s for s, _ in words} and end in {e for _, e in words}, segment.text
        position = end
    assert sum(s.tokens for s in panel.highlight.segments) == len(words)  # one token per word, no piece
    # the second document's word tokens never touch inside a word: no word panel, as for any word model
    assert views.word_panel(1, results.documents[1].heatmaps[0], "caption") is None
    assert Views(subword_results("none"), Orders.of(results)).word_panel(0, h, "caption") is None


def test_the_pages_evidence_reads_the_subword_documents_words():
    doc = DocumentExplanation("d", TEXT, subword_tokens(), Prediction([0.2, 0.8], [1]),
                              [Heatmap("enc", 1, "pos", "logit", 1.0, False, False, False, "linear", "linear",
                                       list(WEIGHTS))], InputInfo(len(WEIGHTS)))
    ev = evidence(doc, doc.heatmaps[0])
    assert [(w.word, w.weight) for w in ev.toward] == [("record", 3.5), ("records", 1.78125), ("player's", 1.1875),
                                                       ("the", 0.5), ("players", 0.375)]
    assert [(w.word, w.weight) for w in ev.away] == [("unbreakable", -1.25), ("break", -1.0)]
