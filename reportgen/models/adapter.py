"""A loaded Keras model seen the way the engine needs it.

`ModelAdapter` answers: what the model takes (integer ids, or raw strings through a `TextVectorization`
layer inside), whether it needs a fixed length, what its output is (one sigmoid unit, a softmax, several
sigmoids), where its logits are, which layers have a time axis, and whether padding is masked.

Layer outputs are captured by temporarily replacing the chosen layers' `call` during the forward pass
(`capture`): unlike `keras.Model(model.inputs, layer.output)`, this works inside nested sub-models and on
reloaded Sequential models, whose `layer.output` can point at a stale graph node with no gradient path.

A model may take several inputs (a dict or a list, as KerasHub backbones do: token ids plus a padding mask,
sometimes segment ids): reportgen feeds the token ids to one of them and builds the others from those ids
(`ModelInput`, `plan_inputs`), and may have several outputs, one of which is explained (`output`).

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
INPUT_ROLES = ("ids", "mask", "segments", "constant")
ROLE_TEXT = {
    "ids": "the token ids, post-padded",
    "mask": "the padding mask: 1 on the document's tokens, 0 on padding (ids equal to the pad id)",
    "segments": "segment ids: 0 everywhere (one segment)",
    "constant": "a constant",
}
# layers that turn ids into vectors; the first one reads the ids straight from the input
EMBEDDINGS = ("Embedding", "TokenAndPositionEmbedding", "ReversibleEmbedding")


class ModelInputError(ModelError):
    """A model input reportgen cannot fill from the text pipeline (named, with what to write)."""

    spec_key = "input.model_inputs"


class OutputChoiceError(ModelError):
    """A model with several outputs and no (or an unknown) `model.output`."""

    spec_key = "model.output"


@dataclass(frozen=True)
class ModelInput:
    """One input of the model and what reportgen feeds it, built from the padded ids of a batch."""

    name: str  # its key in the model's input dict, or its input name
    role: str  # one of INPUT_ROLES
    dtype: str
    shape: tuple  # without the batch axis, as the model declares it
    value: int = 0  # the fill of a `constant` input
    given: bool = False  # named in input.model_inputs (else guessed from its name)

    def describe(self) -> str:
        what = f"the constant {self.value}" if self.role == "constant" else ROLE_TEXT[self.role]
        return f"{what} ({'as input.model_inputs says' if self.given else 'guessed from its name'})"


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
    inputs: list[ModelInput] = field(default_factory=list)  # several only for a multi-input model
    pad_id: int = 0  # what padding is, for the padding mask a multi-input model is fed
    output: str | None = None  # the explained output of a multi-output model
    _masks_padding: dict[int, bool] = field(default_factory=dict)
    # the engine's compiled Grad-CAM steps for this model (`engine.runner.engine_for`), kept here so they
    # are freed with the adapter
    _engines: dict = field(default_factory=dict)

    # ----- construction -------------------------------------------------------------------------
    @classmethod
    def from_model(cls, model, labels: list[str] | None = None, task: str = "auto", threshold: float = 0.5,
                   path: str = "", format: str = "keras", model_inputs: dict | None = None,
                   output: str | None = None, pad_id: int = 0) -> "ModelAdapter":
        """`model_inputs` maps input names to a role (INPUT_ROLES) or an int (a constant input of that value);
        `output` names the output to explain when the model has several."""
        check_model(model, path)
        where = path or model.name
        entries = walk_layers(model)
        output = choose_output(model, output, where)
        head = _find_head(model, entries, output)
        task, labels = _resolve_task(head, labels, task, where)
        adapter = cls(model=model, labels=labels, task=task, threshold=threshold, path=path,
                      format=format, entries=entries, head=head, pad_id=int(pad_id), output=output)
        adapter.inputs = plan_inputs(model, model_inputs, where)
        adapter._read_input()
        adapter._probe_shapes()
        return adapter

    def _read_input(self) -> None:
        if len(self.inputs) > 1:
            ids = next(i for i in self.inputs if i.role == "ids")
            self.input_length = ids.shape[0]
            self.input_dtype = "int32" if "int" in ids.dtype or "float" in ids.dtype else ids.dtype
            return
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
        if len(self.inputs) <= 1:
            return ids
        fed = {}
        for model_input in self.inputs:
            if model_input.role == "ids":
                value = ids
            elif model_input.role == "mask":
                value = tf.not_equal(ids, tf.cast(self.pad_id, ids.dtype))
            else:
                fill = 0 if model_input.role == "segments" else model_input.value
                # a free axis of a constant input is the positions axis (the only one plan_inputs lets through)
                dims = [tf.shape(ids)[0]] + [tf.shape(ids)[1] if d is None else int(d) for d in model_input.shape]
                value = tf.fill(tf.stack(dims), fill)
            fed[model_input.name] = value if model_input.dtype == "bool" else tf.cast(value, model_input.dtype)
        structure = _input_structure(self.model)
        if isinstance(structure, dict):
            return {key: fed[key] for key in structure}
        return [fed[t.name] for t in structure]

    def select_output(self, outputs):
        """The explained output of what the model returned (a multi-output model returns a dict or list)."""
        if self.output is None:
            return outputs
        if isinstance(outputs, dict):
            return outputs[self.output]
        return outputs[list(self.model.output_names).index(self.output)]

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
        return tf.cast(self.select_output(outputs), tf.float32)

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

    def masks_declared_padding(self, pad_ids) -> bool:
        """True when the model ignores padding with these ids, so it is no part of a document's own positions.

        A variable-length model: when padding with each leaves its predictions unchanged (`masks_padding`). A
        fixed-length model reads its padding like text, unless it is fed a padding mask, which reportgen builds
        from `pad_id`."""
        if self.input_length is not None:
            return any(i.role == "mask" for i in self.inputs) and set(pad_ids) <= {self.pad_id}
        return all(self.masks_padding(p) for p in pad_ids)

    def id_limit(self) -> tuple[str, int] | None:
        """(layer path, input_dim) of an Embedding reading the ids straight from the input, else None.

        An id outside [0, input_dim) fails inside the compiled step with a multi-line TensorFlow error on
        CPU, and silently reads zeros on GPU, so ids are checked against it before anything runs."""
        if self.vectorizer is not None:
            return None
        top = [e for e in self.entries if e.index is not None and type(e.layer).__name__ != "InputLayer"]
        if len(self.inputs) > 1:  # the other inputs' layers come first in the flattened table
            top = [e for e in top if e.class_name in EMBEDDINGS][:1]
        if top and top[0].class_name in EMBEDDINGS:
            return top[0].path, _input_dim(top[0].layer)
        return None

    def max_positions(self) -> tuple[str, int] | None:
        """(layer path, positions) of a learned position embedding: no document may be longer."""
        for e in self.entries:
            if e.class_name in ("TokenAndPositionEmbedding", "PositionEmbedding"):
                return e.path, int(e.layer.sequence_length)
        return None

    def _id_range(self) -> tuple[int, int]:
        for e in self.entries:
            if e.class_name in EMBEDDINGS:
                return (2, max(3, min(_input_dim(e.layer), 1000)))
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


def choose_output(model, output: str | None, where: str) -> str | None:
    """The output to explain: None for a one-output model, else `output`, which must name one of them."""
    names = [str(n) for n in getattr(model, "output_names", None) or [t.name for t in model.outputs]]
    if len(model.outputs) == 1:
        if output is not None and output not in names:
            raise OutputChoiceError(f"{where}: model.output {output!r}: the model has one output, {names[0]!r}")
        return None
    listed = ", ".join(repr(n) for n in names)
    if output is None:
        raise OutputChoiceError(f"{where}: the model has {len(names)} outputs ({listed}); name the one to explain "
                                "in model.output")
    if output not in names:
        raise OutputChoiceError(f"{where}: model.output {output!r} is not one of its outputs ({listed})")
    return output


def plan_inputs(model, model_inputs: dict | None, where: str) -> list[ModelInput]:
    """What reportgen feeds each input: the role `model_inputs` gives it, else one guessed from its name.

    One input: it takes the token ids (or strings), as always. Several: exactly one takes the ids; the
    others are built from them (a padding mask, zero segment ids, a constant); an input whose role cannot be
    guessed, or whose shape cannot be built from a batch of ids, is an error naming it."""
    structure = _input_structure(model)
    keys = list(structure) if isinstance(structure, dict) else [t.name for t in model.inputs]
    tensors = [structure[k] for k in keys] if isinstance(structure, dict) else list(model.inputs)
    given = dict(model_inputs or {})
    unknown = [k for k in given if k not in keys]
    if unknown:
        raise ModelInputError(f"{where}: input.model_inputs names {unknown[0]!r}, which is not an input of the "
                              f"model (its inputs: {', '.join(repr(k) for k in keys)})")
    if len(keys) == 1:
        role = given.get(keys[0], "ids")
        if role != "ids":
            raise ModelInputError(f"{where}: input {keys[0]!r} is the model's only input, so it takes the token "
                                  f"ids, not {role!r}")
        tensor = tensors[0]
        return [ModelInput(keys[0], "ids", str(tensor.dtype), tuple(tensor.shape[1:]), given=keys[0] in given)]
    planned = []
    for key, tensor in zip(keys, tensors):
        shape, dtype = tuple(tensor.shape[1:]), str(tensor.dtype)
        role, value = given.get(key), 0
        if isinstance(role, bool) or (role is not None and not isinstance(role, (int, str))):
            raise ModelInputError(f"{where}: input.model_inputs.{key}: {role!r}; expected one of "
                                  f"{', '.join(INPUT_ROLES)} or a whole number (a constant)")
        if isinstance(role, int):
            role, value = "constant", role
        if role is None:
            role = _guess_role(key)
        if role not in INPUT_ROLES:
            shown = "" if key in given else " (its name does not say)"
            raise ModelInputError(f"{where}: input {key!r} ({dtype}, shape {_shape_text(shape)}): reportgen cannot "
                                  f"tell what to feed it{shown}; map it in input.model_inputs to ids, mask, "
                                  "segments, constant (zeros) or a number (that constant)")
        if "string" in dtype:
            raise ModelInputError(f"{where}: input {key!r} takes strings; a model with several inputs is fed token "
                                  "ids, a mask and constants, so put the text vectorisation outside the model")
        if role in ("ids", "mask", "segments") and len(shape) != 1:
            raise ModelInputError(f"{where}: input {key!r} has shape {_shape_text(shape)}, but as {role} it needs "
                                  "one value per token: (batch, positions)")
        if role == "constant" and any(d is None for d in shape[1:]):
            raise ModelInputError(f"{where}: input {key!r} has shape {_shape_text(shape)}; a constant input may "
                                  "have a free size only on its first axis (the positions)")
        planned.append(ModelInput(key, role, dtype, shape, value, given=key in given))
    ids = [m.name for m in planned if m.role == "ids"]
    if len(ids) != 1:
        which = "none of them" if not ids else " and ".join(repr(n) for n in ids)
        raise ModelInputError(f"{where}: of its inputs ({', '.join(repr(k) for k in keys)}), {which} takes the token "
                              "ids; exactly one must: say which in input.model_inputs (NAME: ids)")
    length = planned[keys.index(ids[0])].shape[0]
    for m in planned:
        if m.role in ("mask", "segments") and m.shape[0] != length:
            raise ModelInputError(f"{where}: input {m.name!r} has {m.shape[0]} positions but {ids[0]!r} has "
                                  f"{length}; as {m.role} it needs one value per token")
    return planned


def _input_structure(model):
    """The inputs as the model takes them: a dict of named inputs, else the list of input tensors (a reloaded
    Sequential model has `inputs` but no `input`)."""
    try:
        structure = model.input
    except (AttributeError, ValueError):
        return list(model.inputs)
    return structure if isinstance(structure, dict) else list(model.inputs)


def _guess_role(name: str) -> str | None:
    lowered = name.lower()
    if "mask" in lowered:
        return "mask"
    if "segment" in lowered or "token_type" in lowered or "type_ids" in lowered:
        return "segments"
    if lowered in ("ids", "tokens", "input", "inputs") or lowered.endswith("ids") or "token" in lowered:
        return "ids"
    return None


def _shape_text(shape: tuple) -> str:
    return "(" + ", ".join(["batch"] + ["None" if d is None else str(d) for d in shape]) + ")"


def _input_dim(layer) -> int:
    """How many ids an embedding-like layer takes (KerasHub's TokenAndPositionEmbedding holds an Embedding)."""
    if hasattr(layer, "input_dim"):
        return int(layer.input_dim)
    return int(layer.vocabulary_size)


def _output_layer(model, output: str | None):
    """The layer that makes the explained output (the model's last layer for a one-output model)."""
    if output is None:
        return None
    index = [str(n) for n in model.output_names].index(output)
    return model.outputs[index]._keras_history[0]


def _find_head(model, entries: list[LayerEntry], output: str | None = None) -> OutputHead:
    """The final layer and how to get logits from it without changing the saved model."""
    last = _output_layer(model, output) or entries[-1].layer
    while hasattr(last, "layers") and last.layers:  # a nested model as the last layer
        last = last.layers[-1]
    cls = type(last).__name__
    index = 0 if output is None else [str(n) for n in model.output_names].index(output)
    units = int(model.outputs[index].shape[-1])
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
