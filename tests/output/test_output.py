"""The atomic writer and determinism helpers."""

from __future__ import annotations

import json

import pytest

from reportgen.errors import BuildError
from reportgen.output import MANIFEST, AtomicOutput, dump_json, source_date, write_text


def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_first_build_creates_the_folder(tmp_path):
    target = tmp_path / "report"
    with AtomicOutput(target) as out:
        assert out.parent == tmp_path and out != target
        write_text(out / "index.html", "new")
        assert not target.exists()  # nothing is visible before the build finishes
    assert (target / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_success_replaces_the_previous_report(tmp_path):
    target = tmp_path / "report"
    with AtomicOutput(target) as out:
        write_text(out / "index.html", "old")
        write_text(out / "samples" / "gone.html", "old page")
    with AtomicOutput(target) as out:
        write_text(out / "index.html", "new")
    assert {k: v for k, v in snapshot(target).items() if k != MANIFEST} == {"index.html": b"new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o755)


def test_failure_leaves_the_previous_report_untouched(tmp_path):
    target = tmp_path / "report"
    with AtomicOutput(target) as out:
        write_text(out / "index.html", "old")
        write_text(out / "explanations.json", "{}\n")
    before = snapshot(target)
    with pytest.raises(RuntimeError, match="boom"):
        with AtomicOutput(target) as out:
            write_text(out / "index.html", "half")
            raise RuntimeError("boom")
    assert snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_refuses_to_replace_a_folder_that_is_not_a_report(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(BuildError, match="not empty and holds no report written by reportgen"):
        with AtomicOutput(tmp_path):
            pass
    assert (tmp_path / "notes.txt").read_text() == "mine"
    empty = tmp_path / "empty"
    empty.mkdir()
    with AtomicOutput(empty) as out:
        write_text(out / "index.html", "x")
    assert (empty / "index.html").exists()


def test_refuses_a_file_as_target(tmp_path):
    (tmp_path / "report").write_text("x")
    with pytest.raises(BuildError, match="is not a folder"):
        with AtomicOutput(tmp_path / "report"):
            pass


def test_write_text_uses_unix_newlines_and_utf8(tmp_path):
    path = write_text(tmp_path / "a" / "b.txt", "é\nline\n")
    assert path.read_bytes() == "é\nline\n".encode("utf-8")


def test_dump_json_is_sorted_and_keeps_unicode(tmp_path):
    path = dump_json({"b": 1, "a": {"z": "é", "y": [1.5]}}, tmp_path / "x.json")
    assert path.read_text(encoding="utf-8") == '{\n "a": {\n  "y": [\n   1.5\n  ],\n  "z": "é"\n },\n "b": 1\n}\n'
    assert json.loads(path.read_text(encoding="utf-8"))["a"]["z"] == "é"
    with pytest.raises(ValueError):
        dump_json({"x": float("nan")}, tmp_path / "nan.json")


def test_source_date():
    assert source_date({}) is None
    assert source_date({"SOURCE_DATE_EPOCH": ""}) is None
    assert source_date({"SOURCE_DATE_EPOCH": "0"}) == "1970-01-01"
    assert source_date({"SOURCE_DATE_EPOCH": "1767225600"}) == "2026-01-01"
    assert source_date({"SOURCE_DATE_EPOCH": "1767225599"}) == "2025-12-31"
    with pytest.raises(BuildError, match="SOURCE_DATE_EPOCH"):
        source_date({"SOURCE_DATE_EPOCH": "yesterday"})


def test_source_date_reads_the_environment(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    assert source_date() == "1970-01-02"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert source_date() is None
