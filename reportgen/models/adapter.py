"""A loaded Keras model seen the way the engine needs it.

`ModelAdapter` answers: what the model takes (integer ids, or raw strings through a `TextVectorization`
layer inside), whether it needs a fixed length, what its output is (one sigmoid unit, a softmax, several
sigmoids), where its logits are, which layers have a time axis, and whether padding is masked.

Layer outputs are captured by temporarily replacing the chosen layers' `call` during the forward pass
(`capture`): unlike `keras.Model(model.inputs, layer.output)`, this works inside nested sub-models and on
reloaded Sequential models, whose `layer.output` can point at a stale graph node with no gradient path.

The adapter says what the model is; how documents are batched and padded for it, and the compiled Grad-CAM
steps, belong to `reportgen.engine`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reportgen.errors import LabelError, LayerError, ModelError, ReportgenError, TaskError
from reportgen.models.archive import class_count
from reportgen.models.layers import LayerEntry, auto_layer, resolve_layer, walk_layers
from reportgen.models.tracing import run_traced
from reportgen.results import LayerInfo, ModelInfo

PROBE_LENGTHS = (7, 12)  # two lengths tell whether a layer's time axis follows the input length


@dataclass
class LayerShape:
    shape: tuple  # output shape without the batch axis, from a probe forward pass
    time_axis: bool
    follows_input: bool  # its time steps equal the input's token count (so in-batch padding can be cut)


@dataclass
class OutputHead:
    activation: str  # "sigmoid" | "softmax" | "linear"
    units: int
    layer: Any  # the layer whose input (Dense) or input (Activation) gives the logits
    kind: str  # "dense" (logit = h @ W + b) | "activation" (logit = its input) | "identity"


@dataclass
class ModelAdapter:
    model: Any
    labels: list[str]
    task: str
    threshold: float = 0.5
    path: str = ""
    format: str = "keras"
    entries: list[LayerEntry] = field(default_factory=list)
    shapes: dict[str, LayerShape] = field(default_factory=dict)
    head: OutputHead | None = None
    vectorizer: Any = None  # TextVectorization layer when the model takes strings
    input_length: int | None = None
    input_dtype: str = "int32"
    notes: list[str] = field(default_factory=list)
    _masks_padding: dict[int, bool] = field(default_factory=dict)
    # the engine's compiled Grad-CAM steps for this model (`engine.runner.engine_for`), kept here so they
    # are freed with the adapter
    _engines: dict = field(default_factory=dict)

    # ----- construction -------------------------------------------------------------------------
    @classmethod
    def from_model(cls, model, labels: list[str] | None = None, task: str = "auto", threshold: float = 0.5,
                   path: str = "", format: str = "keras") -> "ModelAdapter":
        check_model(model, path)
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            raise ModelError(f"{path or model.name}: reportgen explains models with one input and one output "
                             f"(this one has {len(model.inputs)} inputs, {len(model.outputs)} outputs)")
        entries = walk_layers(model)
        head = _find_head(model, entries)
        task, labels = _resolve_task(head, labels, task, path or model.name)
        adapter = cls(model=model, labels=labels, task=task, threshold=threshold, path=path,
                      format=format, entries=entries, head=head)
        adapter._read_input()
        adapter._probe_shapes()
        return adapter

    def _read_input(self) -> None:
        spec = self.model.inputs[0]
        dtype = str(spec.dtype)
        vectorizers = [e.layer for e in self.entries if type(e.layer).__name__ == "TextVectorization"]
        if "string" in dtype:
            if len(vectorizers) != 1:
                raise ModelError(f"{self.path or self.model.name}: takes strings but has "
                                 f"{len(vectorizers)} TextVectorization layers (expected one)")
            self.vectorizer = vectorizers[0]
            cfg = self.vectorizer.get_config()
            if cfg.get("output_mode", "int") != "int":
                raise ModelError(f"{self.path}: TextVectorization output_mode {cfg.get('output_mode')!r} has no "
                                 "token axis; Grad-CAM needs output_mode='int'")
            self.input_length = cfg.get("output_sequence_length")
            self.input_dtype = "int64"
        else:
            shape = tuple(spec.shape)
            if len(shape) != 2:
                raise ModelError(f"{self.path or self.model.name}: input shape {shape}; reportgen explains "
                                 "models whose input is one sequence of token ids per document")
            self.input_length = shape[1]
            self.input_dtype = "int32" if "int" in dtype or "float" in dtype else dtype

    # ----- forward passes -----------------------------------------------------------------------
    @contextlib.contextmanager
    def capture(self, layers: list[Any], record: dict, ids=None, watch=None):
        """Replace `call` of the given layers so their outputs land in `record[id(layer)]`.

        `watch(tensor)` (a GradientTape.watch) is applied to each output; when the model takes strings,
        the vectorizer's call returns `ids` instead, so the rest of the model runs on the ids we chose.
        Originals are restored even if the forward pass fails.
        """
        patched = []
        try:
            for layer in layers:
                original = layer.call

                def recording(*args, __orig=original, __key=id(layer), **kwargs):
                    out = __orig(*args, **kwargs)
                    if watch is not None:
                        watch(out)
                    record[__key] = out
                    return out

                layer.call = recording
                patched.append((layer, original))
            if self.vectorizer is not None and ids is not None:
                original = self.vectorizer.call
                self.vectorizer.call = lambda *args, **kwargs: ids
                patched.append((self.vectorizer, original))
            if self.head is not None and self.head.kind in ("dense", "activation"):
                # the final layer's input: h for a Dense (logit = h @ W + b), the logit for an Activation
                original = self.head.layer.call

                def head_input(inputs, *args, __orig=original, **kwargs):
                    record["__head_input__"] = inputs
                    return __orig(inputs, *args, **kwargs)

                self.head.layer.call = head_input
                patched.append((self.head.layer, original))
            yield record
        finally:
            for layer, original in reversed(patched):
                # the instance attribute shadows the class method; deleting restores it exactly
                if layer.__dict__.get("call") is not None:
                    del layer.__dict__["call"]
                if layer.call != original:
                    layer.call = original

    def model_input(self, ids):
        """What to feed the model for a batch of ids (strings models get placeholders, see capture)."""
        import tensorflow as tf

        if self.vectorizer is not None:
            return tf.fill([tf.shape(ids)[0]], "")
        return ids

    def logits_from(self, record: dict, outputs):
        """Pre-activation scores (batch, units) of the final layer."""
        import tensorflow as tf

        if self.head.kind in ("dense", "activation") and "__head_input__" not in record:
            # runs while tracing: a ReportgenError, so run_traced can hand it over as one line
            raise ModelError(f"{self.path or self.model.name}: the final layer {self.head.layer.name!r} was not "
                             "called in the forward pass, so its logits cannot be read")
        if self.head.kind == "dense":
            h = record["__head_input__"]
            kernel = self.head.layer.kernel
            z = tf.matmul(tf.cast(h, kernel.dtype), kernel)
            if self.head.layer.bias is not None:
                z = z + self.head.layer.bias
            return z
        if self.head.kind == "activation":
            return tf.cast(record["__head_input__"], tf.float32)
        return tf.cast(outputs, tf.float32)

    def class_scores(self, logits, score: str):
        """Per-label scores (batch, n_labels) from logits: a single sigmoid unit gives [-z, z] / [1-p, p]."""
        import tensorflow as tf

        if self.task == "binary" and self.head.units == 1:
            if score == "logit":
                return tf.concat([-logits, logits], axis=1)
            p = tf.sigmoid(logits)
            return tf.concat([1.0 - p, p], axis=1)
        if score == "logit":
            return logits
        if self.head.activation == "softmax" or (self.head.activation == "linear" and self.task == "multiclass"):
            return tf.nn.softmax(logits, axis=-1)
        return tf.sigmoid(logits)

    def predict_step(self):
        """The compiled forward pass: ids (batch, positions) -> probabilities (batch, n_labels)."""
        if getattr(self, "_predict_compiled", None) is None:
            import tensorflow as tf

            @tf.function(input_signature=[tf.TensorSpec([None, None], self.input_dtype)])
            def predict(ids):
                record: dict = {}
                with self.capture([], record, ids=ids):
                    outputs = self.model(self.model_input(ids), training=False)
                    logits = self.logits_from(record, outputs)
                return self.class_scores(logits, "probability")

            self._predict_compiled = predict
        return self._predict_compiled

    def masks_padding(self, pad_id: int = 0) -> bool:
        """True when post-padding with pad_id leaves the prediction unchanged (the model masks it)."""
        if self.input_length is not None:
            return True
        if pad_id not in self._masks_padding:
            rng = np.random.default_rng(0)
            vocab = self._id_range()
            doc = [int(x) for x in rng.integers(vocab[0], vocab[1], size=9)]
            doc = [x if x != pad_id else vocab[0] for x in doc]
            fn = self.predict_step()
            import tensorflow as tf

            alone = run_traced(fn, tf.constant([doc], dtype=self.input_dtype)).numpy()
            padded = run_traced(fn, tf.constant([doc + [pad_id] * 7], dtype=self.input_dtype)).numpy()
            self._masks_padding[pad_id] = bool(np.allclose(alone, padded, rtol=1e-5, atol=1e-6))
            if not self._masks_padding[pad_id]:
                self.notes.append(f"padding with id {pad_id} changes this model's predictions (it is not masked), "
                                  "so documents were batched only with others of the same length, unpadded")
        return self._masks_padding[pad_id]

    def id_limit(self) -> tuple[str, int] | None:
        """(layer path, input_dim) of an Embedding reading the ids straight from the input, else None.

        An id outside [0, input_dim) fails inside the compiled step with a multi-line TensorFlow error on
        CPU, and silently reads zeros on GPU, so ids are checked against it before anything runs."""
        if self.vectorizer is not None:
            return None
        top = [e for e in self.entries if e.index is not None and type(e.layer).__name__ != "InputLayer"]
        if top and type(top[0].layer).__name__ == "Embedding":
            return top[0].path, int(top[0].layer.input_dim)
        return None

    def _id_range(self) -> tuple[int, int]:
        for e in self.entries:
            if type(e.layer).__name__ == "Embedding":
                return (2, max(3, min(int(e.layer.input_dim), 1000)))
        return (2, 50)

    # ----- layer table --------------------------------------------------------------------------
    def _probe_shapes(self) -> None:
        """Run the model on dummy documents, recording every layer's output shape."""
        import tensorflow as tf

        lengths = (self.input_length,) if self.input_length else PROBE_LENGTHS
        seen: dict[int, list[tuple]] = {}
        layers = [e.layer for e in self.entries if type(e.layer).__name__ not in ("InputLayer",)]
        low, high = self._id_range()
        for length in lengths:
            record: dict = {}
            ids = tf.constant(np.full((1, length), low, dtype=np.int64), dtype=self.input_dtype)
            try:
                with self.capture(layers, record, ids=ids):
                    self.model(self.model_input(ids), training=False)
            except Exception as exc:
                raise ModelError(f"{self.path or self.model.name}: a forward pass on a {length}-token dummy "
                                 f"document failed: {str(exc).splitlines()[0] if str(exc) else exc!r}") from exc
            for layer in layers:
                out = record.get(id(layer))
                shape = tuple(out.shape[1:]) if hasattr(out, "shape") else None
                seen.setdefault(id(layer), []).append(shape)
        for e in self.entries:
            shapes = seen.get(id(e.layer))
            if not shapes or shapes[0] is None:
                self.shapes[e.path] = LayerShape((), False, False)
                continue
            first = shapes[0]
            time_axis = len(first) == 2
            follows = time_axis and all(s is not None and s[0] == n for s, n in zip(shapes, lengths))
            if len(lengths) > 1 and time_axis and len({s[0] for s in shapes}) > 1:
                first = (None,) + tuple(first[1:])
            self.shapes[e.path] = LayerShape(first, time_axis, follows)

    def time_axis(self) -> dict[str, bool]:
        return {path: s.time_axis for path, s in self.shapes.items()}

    def auto_layer(self) -> LayerEntry:
        chosen = auto_layer(self.entries, self.time_axis())
        if chosen is None:
            raise LayerError(f"{self.path or self.model.name}: no layer has a time axis, so `auto` has "
                                 "nothing to choose; name a layer explicitly")
        return chosen

    def resolve_layers(self, layers) -> list[LayerEntry]:
        """`auto`, `all`, one reference or a list of them -> entries (deduplicated, in the given order)."""
        if isinstance(layers, np.ndarray):  # == "auto" on an array compares elementwise
            layers = layers.tolist() if layers.ndim else layers.item()
        if layers is None or (isinstance(layers, str) and layers == "auto"):
            return [self.auto_layer()]
        if isinstance(layers, str) and layers == "all":
            chosen = [e for e in self.entries if self.shapes[e.path].time_axis
                      and type(e.layer).__name__ not in ("InputLayer",)]
            if not chosen:
                raise LayerError(f"{self.path or self.model.name}: no layer has a time axis")
            return chosen
        refs = layers if isinstance(layers, (list, tuple)) else [layers]
        if not refs:
            raise LayerError("layers: an empty list; give at least one layer, 'auto' or 'all'")
        out: list[LayerEntry] = []
        for ref in refs:
            auto = isinstance(ref, str) and ref == "auto"
            entry = self.auto_layer() if auto else resolve_layer(self.entries, ref, self.model.name)
            if type(entry.layer).__name__ == "InputLayer":
                raise LayerError(f"layer {entry.path!r} is the input; it has no activations to explain")
            if self.vectorizer is not None and entry.layer is self.vectorizer:
                raise LayerError(f"layer {entry.path!r} turns strings into ids; it has no gradient. "
                                 "Explain the embedding or a later layer")
            self.check_explainable(entry)
            if entry not in out:
                out.append(entry)
        return out

    def check_explainable(self, entry: LayerEntry) -> None:
        """Refuse, before anything is traced, a layer whose map cannot be computed."""
        where = self.path or self.model.name
        if self.head is not None and self.head.kind in ("dense", "activation") and _ends_in(entry.layer,
                                                                                            self.head.layer):
            # the score is read from the final layer's input (its logits), so its output is off the path
            raise LayerError(f"layer {entry.path!r} is the output layer of {where}: the explained score is "
                             "computed before it, so it has no gradient; explain an earlier layer")
        shape = self.shapes.get(entry.path)
        if shape is None:
            return
        if not shape.shape:
            raise LayerError(f"layer {entry.path!r} of {where} gave no single output tensor in a forward pass "
                             "(unused, or it returns several); explain another layer")
        if len(shape.shape) not in (1, 2):
            raise LayerError(f"layer {entry.path!r} of {where}: output rank {len(shape.shape) + 1}; Grad-CAM "
                             "for text needs (batch, time, channels) or (batch, channels)")

    def layer_infos(self, explained: list[str] = ()) -> list[LayerInfo]:
        try:
            auto_path = self.auto_layer().path
        except ReportgenError:
            auto_path = None
        infos = []
        for e in self.entries:
            s = self.shapes[e.path]
            infos.append(LayerInfo(
                path=e.path, index=e.index, class_name=e.class_name,
                output_shape=[None] + [int(d) if d is not None else None for d in s.shape],
                time_axis=s.time_axis, time_steps=(int(s.shape[0]) if s.time_axis and s.shape[0] is not None
                                                   else None),
                params=int(e.layer.count_params()) if e.layer.built else 0,
                explained=e.path in explained, auto=e.path == auto_path))
        return infos

    def info(self, explained: list[str] = ()) -> ModelInfo:
        return ModelInfo(name=self.model.name, path=self.path, task=self.task, labels=list(self.labels),
                         input_kind="strings" if self.vectorizer is not None else "ids",
                         input_length=self.input_length, layers=self.layer_infos(explained),
                         output_activation=self.head.activation, format=self.format, notes=list(self.notes))


def check_model(model, path: str = "") -> None:
    """A clear error for what is not a usable Keras model, before Keras raises its own."""
    where = path or getattr(model, "name", None) or "model"
    if not hasattr(model, "layers") or not callable(model):
        raise ModelError(f"model: expected a Keras model (or reportgen.load_model(path)), got "
                         f"{type(model).__name__}")
    if not model.layers:
        raise ModelError(f"{where}: the model has no layers; add layers (or load a trained model) first")
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError) as exc:
        raise ModelError(f"{where}: the model has no defined inputs yet; give it a keras.Input or call it "
                         "once on data") from exc
    if not inputs or not outputs:
        raise ModelError(f"{where}: the model has no defined inputs yet; give it a keras.Input or call it "
                         "once on data")


def _ends_in(layer, head) -> bool:
    """True when `layer` is `head` or a nested model whose last layer is (or ends in) `head`."""
    while True:
        if layer is head:
            return True
        if not (hasattr(layer, "layers") and layer.layers):
            return False
        layer = layer.layers[-1]


def _find_head(model, entries: list[LayerEntry]) -> OutputHead:
    """The final layer and how to get logits from it without changing the saved model."""
    last = entries[-1].layer
    while hasattr(last, "layers") and last.layers:  # a nested model as the last layer
        last = last.layers[-1]
    cls = type(last).__name__
    units = int(model.outputs[0].shape[-1])
    act = getattr(last, "activation", None)
    act_name = getattr(act, "__name__", str(act)) if act is not None else "linear"
    if cls == "Dense":
        if act_name in ("sigmoid", "softmax"):
            return OutputHead(act_name, units, last, "dense")
        if act_name == "linear":
            return OutputHead("linear", units, last, "identity")
    if cls == "Activation" and act_name in ("sigmoid", "softmax"):
        return OutputHead(act_name, units, last, "activation")
    if cls == "Softmax":
        return OutputHead("softmax", units, last, "activation")
    raise ModelError(f"{model.name}: the last layer {last.name!r} ({cls}, activation {act_name!r}) is not a "
                     "Dense/Activation with sigmoid, softmax or linear output; reportgen cannot find its logits")


def _resolve_task(head: OutputHead, labels, task: str, where: str) -> tuple[str, list[str]]:
    if task == "auto":
        if head.units == 1:
            task = "binary"
        elif head.activation == "sigmoid":
            task = "multilabel"
        else:
            task = "multiclass"
    if task == "binary" and head.units != 1 and head.units != 2:
        raise TaskError(f"{where}: task binary but the model has {head.units} outputs")
    if task == "multilabel" and head.activation == "softmax":
        raise TaskError(f"{where}: task multilabel needs independent sigmoid outputs, the model ends in softmax")
    n = class_count(head.units, task)
    if labels is None:
        labels = ["negative", "positive"] if (task == "binary" and n == 2) else [str(i) for i in range(n)]
    labels = [str(x) for x in labels]
    if len(labels) != n:
        raise LabelError(f"{where}: {len(labels)} labels given but the model has {n} classes"
                         + (" (a single sigmoid unit: give [negative-label, positive-label])"
                            if head.units == 1 else ""))
    if len(set(labels)) != len(labels):
        raise LabelError(f"{where}: labels repeat: {labels}")
    return task, labels
