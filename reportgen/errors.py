"""Errors a user can act on.

Every error a person can fix (a bad spec, a missing file, a text the model cannot take) is a
`ReportgenError`: the CLI prints its one-line message and exits with status 2, without a traceback.
Anything else is a bug and exits with status 1.

An error that a spec key can cause names that key in `spec_key`, so `build` can place it at the key's YAML
line by its type alone, whatever its message says.
"""

from __future__ import annotations


class ReportgenError(Exception):
    """Bad input: printed as one line, exit status 2."""

    exit_code = 2
    spec_key: str | None = None  # the spec key to blame when a build meets this error; None: no single key


class SpecError(ReportgenError):
    """One or more problems in a spec file; each names the key path and the YAML line."""

    def __init__(self, problems: list[str] | str, path: str | None = None):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.path = path
        super().__init__("; ".join(self.problems))


class ModelError(ReportgenError):
    """The model file cannot be loaded, converted or probed (names the file and, if any, the layer)."""


class InputError(ReportgenError):
    """A sample, a text or a vocabulary that the pipeline cannot use (names the sample or the file)."""


class BuildError(ReportgenError):
    """A build could not finish; the previous report is left as it was."""


class LayerError(ModelError):
    """A layer reference the model cannot serve (unknown, the input, the output, no time axis...)."""

    spec_key = "explain.layers"


class LabelError(ModelError):
    """Labels that do not fit the model's outputs (wrong count, repeated)."""

    spec_key = "model.labels"


class TaskError(ModelError):
    """A task (binary, multilabel) the model's output layer cannot be."""

    spec_key = "model.task"


class TargetError(ReportgenError):
    """A target request that names no label, or is no request at all."""

    spec_key = "explain.targets"
