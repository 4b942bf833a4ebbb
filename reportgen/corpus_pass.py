"""The build's pass over the whole corpus: stored maps, one table row per document, corpus evidence, pages.

Chunks of rows (`reportgen.store.table_of`, from either execution backend) arrive in corpus order. Each is
written to results/maps.parquet at once and reduced to what the report keeps of every document (a
`CorpusRow`) and to the corpus evidence, so memory holds a chunk, not the corpus. Afterwards the documents
that get a page (`output.pages`) are read back from the file: their heatmaps are derived from the stored
maps, the way anyone reading the results derives them.
"""

from __future__ import annotations

import functools
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from reportgen.engine.variants import signed_token_weights
from reportgen.report.evidence import word_sums
from reportgen.report.sample_choice import choose_samples
from reportgen.report.spans import splits_words
from reportgen.report.views import shorten
from reportgen.results import MAPS_FILE, CorpusRow, CorpusSummary, DocumentExplanation, Token
from reportgen.store import MapsWriter, documents_of
from reportgen.store.table import NO_SPAN, document_rows, input_of, layer_map_of, read_rows
from reportgen.text.aggregate import word_of_tokens, word_spans_of
from reportgen.text.padding import text_positions

SNIPPET_CHARS = 160  # the table shows less; its search looks in all of it
ROW_WORDS = 3
# output.pages `auto` without a hand-picked selection: the wrong predictions first, then every true label in
# turn, up to this many pages (a corpus of thousands still gets a site that builds in seconds)
AUTO_PAGES = 200


class CorpusPass:
    def __init__(self, folder: Path, spec, context) -> None:
        from reportgen.corpus import CorpusEvidenceBuilder

        self.spec = spec
        self.settings = context.settings
        self.labels = list(context.adapter.labels)
        self.layers = [entry.path for entry in context.layers]
        self.path = Path(folder) / MAPS_FILE
        self.writer = MapsWriter(self.path)
        self.rows: list[CorpusRow] = []
        self.evidence = CorpusEvidenceBuilder(self.labels, self.layers)
        oov_id = context.oov_id
        self.oov = None if oov_id is None else (oov_id, spec.input.oov_token or "[UNK]")
        self.page_documents: list[DocumentExplanation] = []
        self.pages_rule = ""
        self.side_seconds = 0.0  # of the engine stage, spent vectorising and on these statistics

    @property
    def documents(self) -> int:
        return len(self.rows)

    def add(self, table) -> None:
        self.writer.write(table)
        for rows in document_rows(table):
            self._add_document(rows)
        release_free_memory()

    def _add_document(self, rows: list[dict]) -> None:
        first = rows[0]
        info = input_of(first)
        keep = text_positions(info)
        text = first["text"]
        tokens = [Token(t, (s, e) if s != NO_SPAN else None, i) for t, i, s, e in
                  zip(first["tokens"], first["token_ids"], first["starts"], first["ends"])]
        units = _Units(text, tokens, self.oov)
        top_words: dict[str, list[list]] = {}
        predicted = list(first["predicted"])
        # each layer's top words come from the predicted label's map (the lead map), else its first target's
        shown = {}
        for row in rows:
            if row["layer"] not in shown or (row["target"] in predicted[:1]
                                              and shown[row["layer"]]["target"] not in predicted[:1]):
                shown[row["layer"]] = row
        for row in rows:
            weights = units.weights(signed_token_weights(layer_map_of(row), info.length, keep))
            if shown[row["layer"]] is row:
                sums = word_sums(text, units.tokens, weights.tolist())
                strongest = sorted((w for w in sums if w.weight), key=lambda w: (-abs(w.weight), w.first))
                top_words[row["layer"]] = [[w.word, w.weight, row["target"]] for w in strongest[:ROW_WORDS]]
            self.evidence.add(first["doc_index"], first["doc_id"], text, units.named, row["layer"], row["target"],
                              weights)
        self.rows.append(CorpusRow(
            index=first["doc_index"], id=first["doc_id"], snippet=shorten(text, SNIPPET_CHARS),
            tokens=len(tokens), true_labels=first["true_labels"], predicted=predicted,
            probabilities=list(first["probabilities"]), threshold=first["threshold"], page=False,
            top_words=top_words))

    def close(self) -> None:
        self.writer.close()

    def choose_pages(self) -> None:
        """Mark the rows whose documents get a page and read those documents back in full."""
        ids, self.pages_rule = self._page_ids()
        wanted = set(ids)
        for row in self.rows:
            row.page = row.id in wanted
        self.page_documents = documents_of(read_rows(self.path, ids), self.settings, ids) if ids else []

    def _page_ids(self) -> tuple[list[str], str]:
        pages = self.spec.output.pages
        rows = self.rows
        if isinstance(pages, list):  # build checked them against the samples
            return list(pages), "the ids listed in output.pages"
        if pages == "auto" and self.spec.samples.select is None and not self.spec.samples.extra \
                and len(rows) > AUTO_PAGES:
            pages = AUTO_PAGES
        if pages in ("auto", "all"):
            return [row.id for row in rows], "every explained document"
        if isinstance(pages, int):
            rule, count = "errors-first", pages
        elif isinstance(pages, str):
            rule, count = pages, None
        else:  # {pick, count}
            rule, count = pages.pick, pages.count
        view = SimpleNamespace(documents=rows, model=SimpleNamespace(labels=self.labels))
        choice = choose_samples(view, rule, count)
        order = sorted(choice.indices)  # pages keep corpus order; the rule decides which
        return [rows[i].id for i in order], choice.describe()

    @property
    def summary(self) -> CorpusSummary:
        return CorpusSummary(documents=len(self.rows), pages_rule=self.pages_rule, rows=self.rows)

    @property
    def corpus_evidence(self):
        return self.evidence.finish()


def release_free_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's malloc_trim; nothing elsewhere). A chunk's
    tensors, tables and rows are freed between chunks, but glibc keeps the pages, and the next chunk's
    allocations land on other ones: on IMDB's 5,000 reviews the process held ~170 MB more at the end of each
    chunk without it (1,417 against 1,240 MB), growing with the corpus, for ~10 ms a chunk."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl): its allocator has no such call
        return None


class _Units:
    """What corpus statistics count in one document: its tokens, or, when they cut words into pieces
    (characters, subwords), the words of the text they fall in (`report.spans.aggregate_words`' rule). Worked
    out once per document, so each of its maps costs one weighted count."""

    def __init__(self, text: str, tokens: list[Token], oov: tuple[int, str] | None = None) -> None:
        self.pieces = splits_words(text, tokens)
        if self.pieces:
            spans = word_spans_of(text)
            word = word_of_tokens(text, tokens)
            counted = np.bincount(word[word >= 0], minlength=len(spans))
            self.present = np.flatnonzero(counted)  # words no token falls in (cut by truncation) are left out
            self.word = word
            self.tokens = [Token(text[a:b], (a, b)) for a, b in (spans[i] for i in self.present)]
        else:
            self.tokens = tokens
        self.named = [((text[t.span[0]:t.span[1]] if t.span else t.text), t.span) for t in self.tokens]
        if oov is not None and not self.pieces:
            # the model reads every word outside its vocabulary as one token: counted as that token (a model
            # token, with no place in the text), which also bounds the statistics by the model's vocabulary
            self.named = [(oov[1], None) if t.id == oov[0] else unit for t, unit in zip(self.tokens, self.named)]

    def weights(self, token_weights: np.ndarray) -> np.ndarray:
        if not self.pieces:
            return np.asarray(token_weights, dtype=np.float64)
        inside = self.word >= 0
        sums = np.bincount(self.word[inside], weights=np.asarray(token_weights, dtype=np.float64)[inside],
                           minlength=int(self.present[-1]) + 1 if len(self.present) else 0)
        return sums[self.present]
