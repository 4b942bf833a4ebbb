"""`reportgen explain [MODEL] TEXT...` or `reportgen explain --spec SPEC TEXT...`: explain texts in the
terminal, and optionally one as an HTML page.

With `--spec`, the spec supplies what a build of it would use: the model, the input pipeline (`input`:
vocabulary, level, start/OOV tokens, lowercasing, padding, length, max_tokens, hook), the labels
(`model.labels` or `model.labels_file`), task and threshold, and `explain.layers`, `targets`, `relu` and
`score`. A flag given on the command line wins over the spec. Two spec words have no meaning for a typed
text and fall back, with a note: `layers: best` (chosen by a build's metrics) explains `auto`, and
`targets: true` (a sample's label) explains `predicted`. A problem the spec causes is reported at its key
and YAML line, as `validate` and `build` do.

This module turns the arguments into a model, a text pipeline and a request; what is printed comes from
`reportgen.render.terminal` (colours on a colour terminal or with `--color always`, `word[+0.124]`
otherwise), the `--html` page from `reportgen.render.html`. The written path is shown through
`reportgen.textsafe.terminal_safe`, like everything else printed that the user controls.
"""

from __future__ import annotations

import contextlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from reportgen.errors import InputError, ReportgenError, SpecError
from reportgen.render.terminal import document_max, explanation_lines, wants_color
from reportgen.spec.choices import TARGET_KEYWORDS, parse_top_k
from reportgen.textsafe import terminal_safe


def run(model: str | None, texts: Sequence[str], *, spec: str | None = None, html: str | None = None,
        vocabulary: str | None = None, level: str | None = None, layers: Sequence[str] | None = None,
        targets: Sequence[str] | None = None, labels: list[str] | None = None, relu: bool | None = None,
        oov_token: str | None = None, start_token: str | None = None, color: str = "auto") -> int:
    """`model` is ignored with `spec`; `relu` None: the spec's (else True)."""
    from reportgen.api import explain

    if isinstance(texts, str):
        texts = [texts]
    if not texts:
        raise InputError("give a TEXT to explain")
    if html is not None and len(texts) != 1:
        raise InputError(f"--html writes the page of one text; {len(texts)} TEXTs given")
    request = _Request.from_spec(spec) if spec is not None else _Request.plain(model)
    request.override(vocabulary=vocabulary, level=level, layers=layers, targets=targets, labels=labels, relu=relu,
                     oov_token=oov_token, start_token=start_token)
    adapter = request.adapter()
    request.check_layers(adapter)
    pipeline = request.pipeline(adapter)
    for number, text in enumerate(texts, 1):
        where = "TEXT" if len(texts) == 1 else f"TEXT {number}"
        try:
            encoded = pipeline.encode(text)
        except ReportgenError as exc:
            raise InputError(f"{where}: {exc}") from exc
        if not encoded.ids:
            raise InputError(f"{where} gives no tokens (empty, or only words the vocabulary does not know; "
                             "--oov-token keeps unknown words)")
    with request.blame():
        docs = explain(adapter.model, list(texts), layers=request.layers, targets=request.targets,
                       relu=request.relu, score=request.score, pipeline=pipeline, labels=adapter.labels,
                       task=adapter.task, threshold=adapter.threshold, pad_value=request.input.pad_value,
                       padding=request.input.padding, truncating=request.input.truncating)
    use_color = wants_color(color, sys.stdout)
    for note in request.notes:
        print(f"note: {terminal_safe(note)}")
    for number, doc in enumerate(docs):
        if len(docs) > 1:
            print(("\n" if number else "") + f"== TEXT {number + 1} ==")
        for line in explanation_lines(doc, adapter.labels, use_color):
            print(line)
    if html is not None:
        from reportgen.output import write_text
        from reportgen.render.html import render_explanation_page

        page = render_explanation_page(docs[0], adapter.labels, document_max(docs[0]),
                                       title=f"{Path(request.model_shown).name}: explanation")
        try:
            write_text(html, page)
        except OSError as exc:
            raise ReportgenError(f"--html {html}: cannot write it ({exc.strerror or exc})") from None
        print(f"\nwrote {terminal_safe(html)}")
    return 0


# ----- inputs -------------------------------------------------------------------------------------

@dataclass
class _Request:
    """Everything an explanation needs, from the spec (when given) and then the flags over it."""

    model_path: Path
    model_shown: str  # the model as the user wrote it
    input: Any  # reportgen.spec.schema.InputSpec
    spec: Any = None  # the loaded Spec, or None without --spec
    vocabulary: Path | None = None
    vocabulary_flag: str | None = None  # --vocabulary as typed, when it replaced the spec's
    labels: list[str] | None = None
    task: str = "auto"
    threshold: float = 0.5
    layers: Any = "auto"
    targets: Any = "predicted"
    relu: tuple[bool, ...] = (True,)
    score: str = "logit"
    flags: set[str] = field(default_factory=set)  # spec keys a flag overrode: their errors are the flag's
    notes: list[str] = field(default_factory=list)

    @classmethod
    def plain(cls, model: str | None) -> "_Request":
        from reportgen.spec.schema import InputSpec

        if model is None:
            raise InputError("give MODEL TEXT, or --spec SPEC TEXT to take the model from a spec")
        return cls(model_path=Path(model), model_shown=model, input=InputSpec())

    @classmethod
    def from_spec(cls, spec_path: str) -> "_Request":
        from reportgen.build import spec_labels
        from reportgen.spec.load import load_spec

        spec = load_spec(spec_path)
        paths, chosen = spec.paths, spec.explain
        request = cls(model_path=paths.model, model_shown=spec.model.path, input=spec.input, spec=spec,
                      vocabulary=paths.vocabulary, task=spec.model.task, threshold=spec.model.threshold,
                      layers=chosen.layers, targets=chosen.targets, relu=tuple(chosen.relu), score=chosen.score)
        request.labels = spec_labels(spec)
        if chosen.layers == "best":
            request.layers = "auto"
            request.notes.append("explain.layers: best is chosen by a build's metrics; explaining layers: auto")
        if chosen.targets == "true":
            request.targets = "predicted"
            request.notes.append("explain.targets: true needs a sample's label, which a typed text has not; "
                                 "explaining the predicted label")
        return request

    def override(self, *, vocabulary, level, layers, targets, labels, relu, oov_token, start_token) -> None:
        """The flags given, over what the spec says (or the defaults)."""
        update = {key: value for key, value in (("level", level), ("oov_token", oov_token),
                                                 ("start_token", start_token)) if value is not None}
        if vocabulary is not None:
            vocab_path = Path(vocabulary)
            if not vocab_path.is_file():
                raise InputError(f"--vocabulary {vocabulary}: no such file")
            self.vocabulary, self.vocabulary_flag = vocab_path, vocabulary
            if level is None and (self.spec is None or self.spec.input.level is None):
                from reportgen.text.vocab import load_vocabulary

                update["level"] = load_vocabulary(vocab_path).level
        if update:
            self.input = self.input.model_copy(update=update)
            self.flags.update(f"input.{key}" for key in update)
        if vocabulary is not None:
            self.flags.add("input.vocabulary")
        if layers:
            self.layers = _layer_request(layers)
            self.flags.add("explain.layers")
        if targets:
            self.targets = _target_request(targets)
            self.flags.add("explain.targets")
        if labels is not None:
            self.labels = labels
            self.flags.update(("model.labels", "model.labels_file"))
        if relu is not None:
            self.relu = (relu,)

    def adapter(self):
        from reportgen.api import adapter_for
        from reportgen.models.load import load_keras_model

        with self.blame("model.path"):
            adapter = adapter_for(load_keras_model(self.model_path), self.labels, self.task, self.threshold,
                                  path=self.model_shown)
        length = self.input.length
        if length is not None and adapter.input_length is None:
            adapter.input_length = length
        return adapter

    def check_layers(self, adapter) -> None:
        """Each layer the spec lists, resolved on its own, so a problem names its list item and line."""
        if self.spec is None or "explain.layers" in self.flags or not isinstance(self.layers, list):
            return
        for index, ref in enumerate(self.layers):
            try:
                adapter.resolve_layers([ref])
            except SpecError:
                raise
            except ReportgenError as exc:
                raise self._problem(f"explain.layers[{index}]", str(exc)) from None

    def pipeline(self, adapter):
        from reportgen.text.factory import pipeline_from_spec

        spec_input = self.input
        if adapter.vectorizer is None and self.vocabulary is None and spec_input.level != "ids" \
                and spec_input.hook is None:
            how = "give --vocabulary FILE (txt: one token per line, json {token: id} or csv token,id)"
            if self.spec is None:
                raise ReportgenError(f"{self.model_shown}: the model takes token ids; {how} to turn the text "
                                     "into them")
            raise self._problem("input.vocabulary", f"the model takes token ids and the spec names no vocabulary; "
                                                    f"add one, or {how}")
        key = "input.hook" if spec_input.hook else "input.vocabulary"
        try:
            pipeline = pipeline_from_spec(spec_input, self.vocabulary, adapter.vectorizer,
                                          self.spec.base_dir if self.spec is not None else None)
        except SpecError:
            raise
        except (ReportgenError, OSError) as exc:
            message = str(exc) if isinstance(exc, ReportgenError) else f"cannot read it ({exc.strerror or exc})"
            if self.spec is not None and key not in self.flags:
                raise self._problem(key, message) from None
            if isinstance(exc, ReportgenError):  # it names the file
                raise
            raise ReportgenError(f"--vocabulary {self.vocabulary}: {message}") from None
        if spec_input.max_tokens is not None:
            return _Limited(pipeline, spec_input.max_tokens)
        return pipeline

    def _problem(self, key: str, message: str) -> SpecError:
        from reportgen.spec.load import spec_problem

        return spec_problem(self.spec, key, message)

    @contextlib.contextmanager
    def blame(self, default_key: str | None = None) -> Iterator[None]:
        """An error a spec key caused, placed at that key's line; one a flag caused passes as it is."""
        try:
            yield
        except SpecError:
            raise
        except ReportgenError as exc:
            key = exc.spec_key or default_key
            if key == "model.labels" and self.spec is not None and self.spec.model.labels is None \
                    and self.spec.model.labels_file is not None:
                key = "model.labels_file"
            if self.spec is None or key is None or key in self.flags:
                raise
            raise self._problem(key, str(exc)) from exc


class _Limited:
    """A pipeline whose texts are cut to `input.max_tokens` tokens, as a build cuts its samples."""

    def __init__(self, pipeline, max_tokens: int):
        self._pipeline, self._max_tokens = pipeline, max_tokens

    def encode(self, text: str):
        from reportgen.text.limit import limit_tokens

        return limit_tokens(self._pipeline.encode(text), self._max_tokens)

    def __getattr__(self, name: str):
        return getattr(self._pipeline, name)


def _layer_request(layers: Sequence[str]):
    if list(layers) in (["auto"], ["all"]):
        return layers[0]
    return [int(ref) if re.fullmatch(r"-?\d+", ref) else ref for ref in layers]


def _target_request(targets: Sequence[str]):
    """One keyword (TARGET_KEYWORDS, or top-K as the spec reads it), or label names/indices."""
    if len(targets) == 1:
        try:
            k = parse_top_k(targets[0])
        except ValueError as error:
            raise InputError(f"--target: {error}") from None
        if k is not None:
            return f"top-{k}"
        if targets[0] == "true":
            raise InputError("--target true: a typed text has no true label; use predicted, all, top-K or "
                             "label names")
        if targets[0] in TARGET_KEYWORDS:
            return targets[0]
    return list(targets)
