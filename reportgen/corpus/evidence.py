"""Streaming corpus statistics: per label (the explained target) and layer, each word's total and mean weight
across documents, with Poisson bootstrap intervals over documents.

Every document counts alike: its map is divided by its largest |weight| before its words are summed (a long
or confidently classified review would otherwise outweigh a hundred others). A word's weight in a document is
the sum of the normalised weights of its occurrences there; its total is the sum over documents, its mean the
total over its document frequency.

The bootstrap is a streaming Poisson bootstrap: replicate b gives document d the weight
`bootstrap_weights(seed, d, B)[b]`, Poisson(1) draws from a generator seeded by (seed, d) alone, so the
numbers do not depend on the order or the chunking of `add()` calls (up to float summation order). Each
replicate's total is the weighted sum of the documents' contributions, its mean that total over the weighted
document frequency; intervals are percentiles of the replicates.

Memory: per (layer, target), a few numbers per vocabulary word, up to `examples` example documents per word,
and the replicates: a word seen in at most `sparse_limit(bootstrap)` documents keeps its (document,
contribution) pairs, 24 bytes each in arrays shared by all words, and its replicates are drawn again from the
seeds when needed; a more frequent word has a row of `bootstrap` replicate totals and frequencies (12 bytes a
replicate). A word's pairs cost at most half a row, and most of a corpus's vocabulary is words in a few
documents, so rows are kept for the words in many (IMDB, 5,000 reviews: ~2,100 rows a layer instead of ~13,500
with rows from the fifth document on); nothing grows with the number of documents but the pairs of the words
still below the limit, which the vocabulary bounds.
"""

from __future__ import annotations

import heapq
import math
import re
from dataclasses import dataclass, field

import numpy as np

from reportgen.results import CorpusEvidence, LabelEvidence, WordEvidence, WordExample

CONFIDENCE = 0.95
MIN_DOCUMENTS = 5  # a word ranks by mean only with this document frequency, or 1 % of the documents if more
MIN_DOCUMENT_SHARE = 0.01
SPARSE_DOCUMENTS = 4  # the least number of documents a word keeps as pairs before it gets a replicate row
PAIR_BYTES = 24  # a kept (document, contribution) pair: word, next-pair link, document, contribution
REPLICATE_BYTES = 12  # a replicate row's float64 total and int32 frequency
GROWTH = 1.5  # arrays grow by this factor: little unused room, copying costs O(vocabulary) over a corpus
NAME_SHARE = 0.5  # a name: capitalised in more than this share of its occurrences that are not sentence-initial

# Words that come from markup rather than language: HTML line breaks and entities left in scraped text (the
# IMDB reviews carry `<br />`), tag and attribute names and URL parts. Tag names and URL parts that are also
# English words (a, b, i, p, em, strong, net) are left out: they would flag real words.
MARKUP_WORDS = frozenset("""
    br hr nbsp quot amp lt gt apos ndash mdash hellip rsquo lsquo rdquo ldquo
    div span href src img html htm php ul ol li td tr th tbody thead tt iframe
    http https www url com org px
""".split())
MARKUP_CHARS = frozenset("<>/=")
_NUMBER = re.compile(r"[+\-]?[0-9][0-9.,:/%\-]*\Z|[+\-]?[.,][0-9][0-9.,:/%\-]*\Z")
# Where a sentence starts: the text's start, after . ! ? … (or > ending markup such as <br />) or a line break,
# then any spaces, quotes and opening brackets
_SENTENCE_START = re.compile(r"(?:\A|[.!?\u2026>]|\n)[\s\"'\u201c\u2018(\[]*")


def bootstrap_weights(seed: int, doc_index: int, replicates: int) -> np.ndarray:
    """Document `doc_index`'s Poisson(1) weight in each bootstrap replicate: depends on (seed, doc_index) only."""
    return np.random.default_rng([int(seed), int(doc_index)]).poisson(1.0, replicates)


def sparse_limit(replicates: int) -> int:
    """How many documents a word keeps as (document, contribution) pairs before it gets a replicate row: as
    many as fit in half a row, so pairs never cost more than the rows they stand for."""
    return max(SPARSE_DOCUMENTS, replicates * REPLICATE_BYTES // (2 * PAIR_BYTES))


def shortcut_flags(word: str, capitalised: int = 0, not_initial: int = 0, in_text: bool = True) -> list[str]:
    """Why a word may be a shortcut rather than language: "token", "markup", "number", "punctuation" or "name".

    `in_text=False`: no occurrence had a span in its text, so it is the model's own token (a start or
    out-of-vocabulary marker). `capitalised` of the word's `not_initial` occurrences that do not start a
    sentence began with a capital in the original text; most of them capitalised makes it a name (one-letter
    words, "I", never are).
    """
    if not in_text:
        return ["token"]
    if _NUMBER.match(word):
        return ["number"]
    if word in MARKUP_WORDS or any(ch in MARKUP_CHARS for ch in word):
        return ["markup"]
    if not any(ch.isalnum() for ch in word):
        return ["punctuation"]
    if len(word) > 1 and not_initial and capitalised > NAME_SHARE * not_initial:
        return ["name"]
    return []


def sentence_starts(text: str) -> set[int]:
    """Character positions in `text` where a sentence starts (see `_SENTENCE_START`)."""
    return {m.end() for m in _SENTENCE_START.finditer(text)}


@dataclass
class _Tally:
    """Running sums for one (layer, target), one row per vocabulary word."""

    replicates: int
    documents: int = 0
    total: np.ndarray = field(default_factory=lambda: np.zeros(0))
    frequency: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    capitalised: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    not_initial: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    in_text: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # occurrences with a span
    row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # replicate row, -1: sparse
    # a sparse word's (doc_index, contribution) pairs, in add order: a chain through the pair arrays from
    # first[word] to last[word] (-1: none) by pair_next
    first: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    last: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    pair_word: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    pair_next: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    pair_doc: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    pair_value: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pairs: int = 0  # pair slots in use
    dropped: int = 0  # of them, the pairs of words that got a row since the last compaction
    rows: int = 0  # replicate rows in use
    boot_total: np.ndarray | None = None  # rows x replicates
    boot_frequency: np.ndarray | None = None  # rows x replicates, integer (Poisson sums are exact)
    floor: np.ndarray = field(default_factory=lambda: np.zeros(0))  # smallest kept |weight| once examples are full
    examples: dict[int, list[tuple[float, int, str, float]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.boot_total = np.zeros((0, self.replicates))
        self.boot_frequency = np.zeros((0, self.replicates), dtype=np.int32)

    @property
    def capacity(self) -> int:
        return len(self.total)

    def grow(self, size: int) -> None:
        """Room for `size` words."""
        if size <= self.capacity:
            return
        new = max(size, int(GROWTH * self.capacity), 64)
        extra = new - self.capacity
        self.total = np.concatenate([self.total, np.zeros(extra)])
        self.frequency = np.concatenate([self.frequency, np.zeros(extra, dtype=np.int64)])
        self.capitalised = np.concatenate([self.capitalised, np.zeros(extra, dtype=np.int64)])
        self.not_initial = np.concatenate([self.not_initial, np.zeros(extra, dtype=np.int64)])
        self.in_text = np.concatenate([self.in_text, np.zeros(extra, dtype=np.int64)])
        self.floor = np.concatenate([self.floor, np.full(extra, -1.0)])
        self.row = np.concatenate([self.row, np.full(extra, -1, dtype=np.int64)])
        self.first = np.concatenate([self.first, np.full(extra, -1, dtype=np.int32)])
        self.last = np.concatenate([self.last, np.full(extra, -1, dtype=np.int32)])

    @property
    def sparse_words(self) -> int:
        return int(np.count_nonzero(self.first >= 0))

    def keep_pairs(self, words: np.ndarray, doc_index: int, values: np.ndarray) -> None:
        """Append (doc_index, value) to each word's pairs (`words` distinct)."""
        self._room(len(words))
        new = np.arange(self.pairs, self.pairs + len(words), dtype=np.int32)
        self.pair_word[new] = words
        self.pair_next[new] = -1
        self.pair_doc[new] = doc_index
        self.pair_value[new] = values
        last = self.last[words]
        chained = last >= 0
        self.pair_next[last[chained]] = new[chained]
        self.first[words[~chained]] = new[~chained]
        self.last[words] = new
        self.pairs += len(words)

    def pairs_of(self, word: int) -> list[tuple[int, float]]:
        out = []
        k = int(self.first[word]) if word < self.capacity else -1
        while k >= 0:
            out.append((int(self.pair_doc[k]), float(self.pair_value[k])))
            k = int(self.pair_next[k])
        return out

    def drop_pairs(self, word: int, count: int) -> None:
        self.first[word] = self.last[word] = -1
        self.dropped += count

    def _room(self, extra: int) -> None:
        if self.pairs + extra <= len(self.pair_doc):
            return
        if 2 * self.dropped >= self.pairs:
            self._compact()
            if self.pairs + extra <= len(self.pair_doc):
                return
        size = max(self.pairs + extra, int(GROWTH * len(self.pair_doc)), 256)
        for name in ("pair_word", "pair_next", "pair_doc", "pair_value"):
            old = getattr(self, name)
            grown = np.empty(size, dtype=old.dtype)
            grown[:self.pairs] = old[:self.pairs]
            setattr(self, name, grown)

    def _compact(self) -> None:
        """Drop the pairs of words that got a row, keeping the others in order (their chains renumbered)."""
        used = slice(0, self.pairs)
        keep = np.flatnonzero(self.first[self.pair_word[used]] >= 0)
        renumber = np.full(self.pairs, -1, dtype=np.int32)
        renumber[keep] = np.arange(len(keep), dtype=np.int32)
        following = self.pair_next[keep]
        self.pair_next[:len(keep)] = np.where(following >= 0, renumber[np.maximum(following, 0)], -1)
        for name in ("pair_word", "pair_doc", "pair_value"):
            values = getattr(self, name)
            values[:len(keep)] = values[keep]
        sparse = self.first >= 0
        self.first[sparse] = renumber[self.first[sparse]]
        self.last[sparse] = renumber[self.last[sparse]]
        self.pairs, self.dropped = len(keep), 0

    def new_row(self) -> int:
        """A replicate row for a word that just became frequent."""
        if self.rows == len(self.boot_total):
            extra = max(64, int(GROWTH * self.rows) - self.rows)
            self.boot_total = np.concatenate([self.boot_total, np.zeros((extra, self.replicates))])
            self.boot_frequency = np.concatenate([self.boot_frequency,
                                                  np.zeros((extra, self.replicates), dtype=np.int32)])
        self.rows += 1
        return self.rows - 1


class CorpusEvidenceBuilder:
    """Collects one document's signed map at a time (`add`), returns the corpus evidence (`finish`)."""

    def __init__(self, labels: list[str], layers: list[str], *, bootstrap: int = 200, seed: int = 0,
                 top: int = 15, examples: int = 3, min_documents: int | None = None,
                 confidence: float = CONFIDENCE):
        if bootstrap < 0 or top < 1 or examples < 0:
            raise ValueError("corpus evidence: bootstrap >= 0, top >= 1 and examples >= 0 are needed")
        self.labels = list(labels)
        self.layers = list(layers)
        self.bootstrap = int(bootstrap)
        self.seed = int(seed)
        self.top = int(top)
        self.examples = int(examples)
        self.min_documents = min_documents
        self.confidence = float(confidence)
        self._vocabulary: dict[str, int] = {}
        self._words: list[str] = []
        self._tallies: dict[tuple[str, int], _Tally] = {}
        self._sparse_limit = sparse_limit(self.bootstrap)
        self._weights_of: tuple[int, np.ndarray] | None = None  # the last document's bootstrap weights
        self._starts_of: tuple[int, str, set[int]] | None = None  # the last document's sentence starts

    # ---- streaming ------------------------------------------------------------------------------------

    def add(self, doc_index: int, doc_id: str, text: str, units: list[tuple[str, tuple[int, int] | None]],
            layer: str, target: int, weights: np.ndarray) -> None:
        """One document's signed map for (layer, target); `units` are the words (word-level tokens, or the word
        sums of a character model: the caller aggregates), with their character spans in `text`."""
        if layer not in self.layers:
            raise ValueError(f"corpus evidence: layer {layer!r} is not one of {', '.join(self.layers)}")
        if not 0 <= target < len(self.labels):
            raise ValueError(f"corpus evidence: target {target} is not a label index (0..{len(self.labels) - 1})")
        values = np.asarray(weights, dtype=np.float64).reshape(-1)
        if len(values) != len(units):
            raise ValueError(f"corpus evidence: document {doc_id!r} has {len(units)} units but {len(values)} "
                             f"weights for layer {layer!r}")
        values = np.where(np.isfinite(values), values, 0.0)
        tally = self._tallies.get((layer, target))
        if tally is None:
            tally = self._tallies[(layer, target)] = _Tally(self.bootstrap)
        tally.documents += 1

        keep = [k for k, (unit, _) in enumerate(units) if unit and unit.strip()]
        if not keep:
            return
        scale = float(np.max(np.abs(values))) if len(values) else 0.0
        normalised = values[keep] / scale if scale > 0 else np.zeros(len(keep))
        ids = np.fromiter((self._word_id(units[k][0]) for k in keep), dtype=np.int64, count=len(keep))
        tally.grow(len(self._words))

        words, inverse = np.unique(ids, return_inverse=True)
        contribution = np.bincount(inverse, weights=normalised, minlength=len(words))
        tally.total[words] += contribution
        tally.frequency[words] += 1
        if self.bootstrap:
            self._add_replicates(tally, doc_index, words, contribution)
        self._count_capitals(tally, doc_index, text, [units[k][1] for k in keep], ids)
        if self.examples:
            self._keep_examples(tally, words, contribution, doc_index, str(doc_id))

    def _word_id(self, unit: str) -> int:
        word = unit.strip().lower()
        index = self._vocabulary.get(word)
        if index is None:
            index = self._vocabulary[word] = len(self._words)
            self._words.append(word)
        return index

    def _add_replicates(self, tally: _Tally, doc_index: int, words: np.ndarray, contribution: np.ndarray) -> None:
        rows = tally.row[words]
        dense = rows >= 0
        if dense.any():
            replicate = self._bootstrap_weights(doc_index)
            tally.boot_total[rows[dense]] += contribution[dense, None] * replicate[None, :]
            tally.boot_frequency[rows[dense]] += replicate.astype(np.int32)[None, :]
        if dense.all():
            return
        sparse = ~dense
        tally.keep_pairs(words[sparse], doc_index, contribution[sparse])
        # a word's pairs are its documents so far: its document frequency says when they outgrow the limit
        for word in words[sparse][tally.frequency[words[sparse]] > self._sparse_limit].tolist():
            kept = tally.pairs_of(word)
            row = tally.row[word] = tally.new_row()
            tally.boot_total[row], tally.boot_frequency[row] = self._replicates_of(kept)
            tally.drop_pairs(word, len(kept))

    def _replicates_of(self, kept: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
        """A rare word's replicate totals and frequencies, drawn again from its documents' seeds."""
        totals = np.zeros(self.bootstrap)
        frequencies = np.zeros(self.bootstrap, dtype=np.int32)
        for doc_index, contribution in kept:
            replicate = bootstrap_weights(self.seed, doc_index, self.bootstrap)
            totals += contribution * replicate
            frequencies += replicate.astype(np.int32)
        return totals, frequencies

    def _bootstrap_weights(self, doc_index: int) -> np.ndarray:
        # a document's rows for every layer and target usually arrive together: draw its weights once
        if self._weights_of is None or self._weights_of[0] != doc_index:
            self._weights_of = (doc_index, bootstrap_weights(self.seed, doc_index, self.bootstrap).astype(np.float64))
        return self._weights_of[1]

    def _count_capitals(self, tally: _Tally, doc_index: int, text: str, spans: list, ids: np.ndarray) -> None:
        if self._starts_of is None or self._starts_of[0] != doc_index or self._starts_of[1] is not text:
            self._starts_of = (doc_index, text, sentence_starts(text))
        starts = self._starts_of[2]
        inside, capital, spanned = [], [], []
        for word_id, span in zip(ids.tolist(), spans):
            if span is None or not 0 <= span[0] < len(text):
                continue
            spanned.append(word_id)
            if span[0] in starts:
                continue
            inside.append(word_id)
            capital.append(text[span[0]].isupper())
        if spanned:
            np.add.at(tally.in_text, np.asarray(spanned, dtype=np.int64), 1)
        if inside:
            positions = np.asarray(inside, dtype=np.int64)
            np.add.at(tally.not_initial, positions, 1)
            np.add.at(tally.capitalised, positions[np.asarray(capital, dtype=bool)], 1)

    def _keep_examples(self, tally: _Tally, words: np.ndarray, contribution: np.ndarray, doc_index: int,
                       doc_id: str) -> None:
        """Up to `examples` documents per word by largest |weight| (ties: smaller doc_index), in any add order."""
        magnitude = np.abs(contribution)
        candidates = np.nonzero(magnitude >= tally.floor[words])[0]
        for k in candidates.tolist():
            word = int(words[k])
            kept = tally.examples.setdefault(word, [])
            # a min-heap of the kept entries by (|weight|, -doc_index): its root is the weakest one
            entry = (float(magnitude[k]), -doc_index, doc_id, float(contribution[k]))
            if len(kept) < self.examples:
                heapq.heappush(kept, entry)
            elif entry[:2] > kept[0][:2]:
                heapq.heapreplace(kept, entry)
            if len(kept) == self.examples:
                tally.floor[word] = kept[0][0]

    # ---- results --------------------------------------------------------------------------------------

    def min_documents_for(self, documents: int) -> int:
        if self.min_documents is not None:
            return max(1, int(self.min_documents))
        return max(1, min(documents, max(MIN_DOCUMENTS, math.ceil(MIN_DOCUMENT_SHARE * documents))))

    def finish(self) -> CorpusEvidence:
        out = []
        for target in range(len(self.labels)):
            for layer in self.layers:
                tally = self._tallies.get((layer, target))
                if tally is not None and tally.documents:
                    out.append(self._label_evidence(layer, target, tally))
        return CorpusEvidence(bootstrap=self.bootstrap, seed=self.seed, confidence=self.confidence, top=self.top,
                              labels=out)

    def _label_evidence(self, layer: str, target: int, tally: _Tally) -> LabelEvidence:
        size = min(tally.capacity, len(self._words))
        frequency = tally.frequency[:size]
        total = tally.total[:size]
        seen = np.nonzero(frequency > 0)[0]
        mean = np.zeros(size)
        mean[seen] = total[seen] / frequency[seen]
        min_documents = self.min_documents_for(tally.documents)
        common = seen[frequency[seen] >= min_documents]

        def ranked(candidates: np.ndarray, values: np.ndarray, sign: int) -> list[WordEvidence]:
            chosen = candidates[sign * values[candidates] > 0]
            order = sorted(chosen.tolist(), key=lambda i: (-sign * values[i], self._words[i]))
            return [self._word(tally, i, mean) for i in order[:self.top]]

        return LabelEvidence(layer=layer, target=target, label=self.labels[target], documents=tally.documents,
                             vocabulary=len(seen), min_documents=min_documents,
                             toward=ranked(seen, total, 1), away=ranked(seen, total, -1),
                             toward_mean=ranked(common, mean, 1), away_mean=ranked(common, mean, -1))

    def _word(self, tally: _Tally, i: int, mean: np.ndarray) -> WordEvidence:
        word = self._words[i]
        total_low = total_high = mean_low = mean_high = None
        if self.bootstrap:
            alpha = (1.0 - self.confidence) / 2
            row = int(tally.row[i])
            if row >= 0:
                totals, frequency = tally.boot_total[row], tally.boot_frequency[row]
            else:
                totals, frequency = self._replicates_of(tally.pairs_of(i))
            total_low, total_high = (float(v) for v in np.quantile(totals, [alpha, 1 - alpha]))
            drawn = frequency > 0
            if drawn.any():
                means = totals[drawn] / frequency[drawn]
                mean_low, mean_high = (float(v) for v in np.quantile(means, [alpha, 1 - alpha]))
        kept = sorted(tally.examples.get(i, []), key=lambda e: (-e[0], -e[1]))
        return WordEvidence(word=word, total=float(tally.total[i]), total_low=total_low, total_high=total_high,
                            mean=float(mean[i]), mean_low=mean_low, mean_high=mean_high,
                            documents=int(tally.frequency[i]),
                            flags=shortcut_flags(word, int(tally.capitalised[i]), int(tally.not_initial[i]),
                                                 bool(tally.in_text[i])),
                            examples=[WordExample(doc_index=-e[1], doc_id=e[2], weight=e[3]) for e in kept])
