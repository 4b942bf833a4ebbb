"""The command line: exit codes, error lines, delegation to reportgen.commands.*, and no TensorFlow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

from tests import paths
import pytest

from reportgen import __version__
from reportgen.cli import main
from reportgen.errors import InputError
from reportgen.spec.jsonschema import spec_json_schema

REPO = paths.REPO

GOOD = """
version: 1
title: Tiny reviews
model:
  path: model.keras
samples:
  file: reviews.csv
"""

BAD = """
version: 1
model:
  path: model.keras
samples:
  file: reviews.csv
explain:
  relu: maybe
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "model.keras").write_bytes(b"")
    (tmp_path / "reviews.csv").write_text("text,label\ngood,1\nbad,0\nfine,1\n", encoding="utf-8")
    (tmp_path / "good.yaml").write_text(textwrap.dedent(GOOD).lstrip(), encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(textwrap.dedent(BAD).lstrip(), encoding="utf-8")
    return tmp_path


def run_cli(*args: str, cwd: Path, code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "reportgen", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_validate_bad_spec_exits_2_with_one_line_per_problem(folder: Path) -> None:
    result = run_cli("validate", "bad.yaml", cwd=folder)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "reportgen: error: title: required key is missing (bad.yaml line 1)",
        "reportgen: error: explain.relu: expected true or false, got 'maybe' (bad.yaml line 7)",
    ]
    assert "Traceback" not in result.stderr


def test_validate_and_help_do_not_import_tensorflow(folder: Path) -> None:
    probe = textwrap.dedent("""
        import sys
        from reportgen.cli import main
        codes = [main(["--help"]), main(["validate", sys.argv[1]]), main(["schema"])]
        heavy = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
        print("RESULT", codes, heavy)
    """)
    result = run_cli("good.yaml", cwd=folder, code=probe)
    assert result.returncode == 0, result.stderr
    assert "RESULT [0, 0, 0] []" in result.stdout
    assert "ok: Tiny reviews — 3 samples from reviews.csv (csv); model model.keras" in result.stdout


def test_validate_prints_ok(folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    assert main(["validate", "good.yaml"]) == 0
    assert capsys.readouterr().out == "ok: Tiny reviews — 3 samples from reviews.csv (csv); model model.keras\n"


def test_validate_reports_sample_problems(folder: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    (folder / "select.yaml").write_text(textwrap.dedent(GOOD).lstrip() + "  select: [0, 7]\n", encoding="utf-8")
    assert main(["validate", "select.yaml"]) == 2
    assert capsys.readouterr().err == "reportgen: error: samples.select: no sample with id '7' in reviews.csv\n"


def test_schema_prints_the_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    first = capsys.readouterr().out
    assert json.loads(first) == spec_json_schema()
    main(["schema"])
    assert capsys.readouterr().out == first


def test_version_and_usage_errors(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"reportgen {__version__}\n"
    assert main(["validate"]) == 2
    assert "the following arguments are required: SPEC" in capsys.readouterr().err
    assert main([]) == 2
    result = run_cli("--version", cwd=folder)  # python -m reportgen
    assert (result.returncode, result.stdout) == (0, f"reportgen {__version__}\n")


@pytest.fixture
def fake_commands(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple, dict]]:
    """Stand-ins for the command modules the lead writes, recording how the CLI calls them."""
    calls: list[tuple[str, tuple, dict]] = []
    for name in ("build", "inspect", "init", "explain", "serve"):
        module = types.ModuleType(f"reportgen.commands.{name}")

        def run(*args: object, _name: str = name, **kwargs: object) -> int:
            calls.append((_name, args, kwargs))
            return 0

        module.run = run  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, f"reportgen.commands.{name}", module)
    return calls


def test_subcommands_delegate_with_their_arguments(fake_commands: list) -> None:
    assert main(["build", "spec.yaml"]) == 0
    assert main(["build", "spec.yaml", "--out", "site", "--no-pdf", "--quiet"]) == 0
    assert main(["inspect", "m.keras"]) == 0
    assert main(["init", "m.keras"]) == 0
    assert main(["explain", "m.keras", "a fine film", "--html", "out.html"]) == 0
    assert main(["explain", "--spec", "spec.yaml", "a fine film", "a dull one", "--no-relu"]) == 0
    assert main(["serve", "site", "--port", "9001"]) == 0
    assert main(["serve", "site"]) == 0
    assert fake_commands == [
        ("build", ("spec.yaml",), {"out": None, "pdf": True, "quiet": False}),
        ("build", ("spec.yaml",), {"out": "site", "pdf": False, "quiet": True}),
        ("inspect", ("m.keras",), {"as_json": False}),
        ("init", ("m.keras",), {"out": "spec.yaml", "samples": None, "labels": None, "force": False}),
        ("explain", ("m.keras", ["a fine film"]), {"spec": None, "html": "out.html", "vocabulary": None,
                                                   "level": None, "layers": None, "targets": None, "labels": None,
                                                   "relu": None, "oov_token": None, "start_token": None,
                                                   "color": "auto"}),
        # with --spec there is no MODEL: every positional argument is a text
        ("explain", (None, ["a fine film", "a dull one"]), {"spec": "spec.yaml", "html": None, "vocabulary": None,
                                                           "level": None, "layers": None, "targets": None,
                                                           "labels": None, "relu": False, "oov_token": None,
                                                           "start_token": None, "color": "auto"}),
        ("serve", ("site",), {"port": 9001}),
        ("serve", ("site",), {"port": 8000}),
    ]


def test_exit_codes_follow_the_error_kind(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                          fake_commands: list) -> None:
    def user_error(*args: object, **kwargs: object) -> int:
        raise InputError("sample 'x': the text is empty\nsecond line")

    def bug(*args: object, **kwargs: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(sys.modules["reportgen.commands.inspect"], "run", user_error)
    assert main(["inspect", "m.keras"]) == 2
    # a newline inside a message cannot forge a second error line: it is shown as an escape
    assert capsys.readouterr().err == "reportgen: error: sample 'x': the text is empty\\nsecond line\n"

    monkeypatch.setattr(sys.modules["reportgen.commands.inspect"], "run", bug)
    assert main(["inspect", "m.keras"]) == 1
    err = capsys.readouterr().err
    assert err == ("reportgen: internal error: RuntimeError: boom\n"
                   "reportgen: run again with --debug for the traceback\n")

    for argv in (["--debug", "inspect", "m.keras"], ["inspect", "m.keras", "--debug"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.startswith("reportgen: internal error: RuntimeError: boom\nTraceback")
        assert "RuntimeError: boom" in err.splitlines()[-1]


def test_command_return_value_is_the_exit_status(monkeypatch: pytest.MonkeyPatch, fake_commands: list) -> None:
    monkeypatch.setattr(sys.modules["reportgen.commands.build"], "run", lambda *a, **k: 3)
    assert main(["build", "spec.yaml"]) == 3
