"""The output folder never costs the user a file: only what reportgen wrote is replaced.

Each case here deleted or mixed up someone's files before the manifest existed (`--out` into a folder with
an `index.html`, `output.dir: .`, a `gh-pages` folder with `.git/`, a symlinked output, a build killed in
the middle of its swap).
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from reportgen.cli import main
from reportgen.errors import BuildError
from reportgen.output import MANIFEST, AtomicOutput, clean_leftovers, write_text


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def build_report(target: Path, pages: dict[str, str], **kwargs) -> None:
    with AtomicOutput(target, **kwargs) as out:
        for name, text in pages.items():
            write_text(out / name, text)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def user_folder(tmp_path: Path) -> Path:
    """A folder a user works in: a spec, a model, notes and a page of their own called index.html."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "spec.yaml").write_text("version: 1\n")
    (folder / "model.keras").write_bytes(b"weights")
    (folder / "notes.md").write_text("my notes")
    (folder / "index.html").write_text("<p>my own page</p>")
    return folder


def test_a_folder_with_an_index_html_but_no_manifest_is_refused_and_kept(tmp_path):
    folder = user_folder(tmp_path)
    before = snapshot(folder)
    with pytest.raises(BuildError, match=r"not empty and holds no report written by reportgen .*index\.html"):
        build_report(folder, {"index.html": "report"})
    assert snapshot(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]


def test_a_folder_holding_the_builds_inputs_is_refused_even_with_a_manifest(tmp_path):
    report = tmp_path / "report"
    build_report(report, {"index.html": "old"})
    (report / "spec.yaml").write_text("version: 1\n")  # the user keeps the spec in the report folder
    before = snapshot(report)
    with pytest.raises(BuildError, match=r"holds this build's input .*spec\.yaml"):
        AtomicOutput(report, inputs=[report / "spec.yaml"]).check()
    assert snapshot(report) == before
    texts = tmp_path / "texts"  # samples.directory: a report inside it would be read as samples next time
    texts.mkdir()
    with pytest.raises(BuildError, match=r"inside the input folder"):
        AtomicOutput(texts / "report", inputs=[texts]).check()


def test_a_rebuild_keeps_the_users_files_and_replaces_only_its_own(tmp_path):
    report = tmp_path / "site"
    build_report(report, {"index.html": "old", "samples/a.html": "old a", "samples/b.html": "old b"})
    # publishing from a gh-pages style folder: the user adds a repository, a CNAME and notes
    write_text(report / ".git" / "HEAD", "ref: refs/heads/gh-pages\n")
    write_text(report / "CNAME", "reports.example.org\n")
    write_text(report / "notes" / "review.md", "looked fine")
    build_report(report, {"index.html": "new", "samples/a.html": "new a"})
    assert snapshot(report) == {
        ".git/HEAD": b"ref: refs/heads/gh-pages\n", "CNAME": b"reports.example.org\n",
        MANIFEST: (report / MANIFEST).read_bytes(), "index.html": b"new", "notes/review.md": b"looked fine",
        "samples/a.html": b"new a"}
    assert (report / MANIFEST).read_text().splitlines()[1:] == ["index.html", "samples/a.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temp folder left


def test_a_users_file_inside_a_report_folder_is_named_and_nothing_changes(tmp_path):
    report = tmp_path / "report"
    build_report(report, {"index.html": "old", "samples/a.html": "a"})
    write_text(report / "samples" / "my-notes.txt", "mine")
    before = snapshot(report)
    with pytest.raises(BuildError, match=r"did not write inside the report's own folders: samples/my-notes\.txt"):
        build_report(report, {"index.html": "new"})
    assert snapshot(report) == before


def test_a_users_file_that_the_new_report_would_overwrite_is_refused(tmp_path):
    report = tmp_path / "report"
    build_report(report, {"index.html": "old"})
    write_text(report / "model.html", "the user's own page")
    before = snapshot(report)
    with pytest.raises(BuildError, match=r"holds model\.html, which reportgen did not write"):
        build_report(report, {"index.html": "new", "model.html": "generated"})
    assert snapshot(report) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_a_symlinked_output_is_followed_and_stays_a_link(tmp_path):
    real = tmp_path / "published"
    build_report(real, {"index.html": "old"})
    link = tmp_path / "report"
    link.symlink_to(real, target_is_directory=True)
    build_report(link, {"index.html": "new"})
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert (real / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["published", "report"]


def test_a_report_from_before_manifests_is_replaced_and_the_users_files_kept(tmp_path):
    report = tmp_path / "report"
    write_text(report / "index.html", "old")
    write_text(report / "explanations.json", '{"schema_version": 1}\n')
    write_text(report / "samples" / "a.html", "old")
    write_text(report / "CNAME", "example.org\n")
    build_report(report, {"index.html": "new", "explanations.json": "{}\n"})
    assert sorted(snapshot(report)) == sorted(["CNAME", MANIFEST, "explanations.json", "index.html"])


def test_leftovers_of_dead_builds_are_cleaned_and_a_live_builds_are_not(tmp_path):
    report = tmp_path / "report"
    build_report(report, {"index.html": "current"})
    pid = dead_pid()
    dead = tmp_path / f".report.building-{pid}-abc123"
    write_text(dead / "index.html", "half")
    live = tmp_path / f".report.building-{os.getppid()}-def456"  # our parent is alive
    write_text(live / "index.html", "in progress")
    trash = tmp_path / f".report.trash-{pid}-x1"
    write_text(trash / "index.html", "replaced")
    build_report(report, {"index.html": "new"})
    assert not dead.exists() and not trash.exists()
    assert live.exists()
    assert (report / "index.html").read_text() == "new"


def test_a_build_killed_between_its_two_renames_gets_the_previous_report_back(tmp_path):
    report = tmp_path / "report"
    build_report(report, {"index.html": "previous"})
    # the state a SIGKILL leaves after `report` was moved aside and before the new one took its place
    moved = tmp_path / f".report.old-{dead_pid()}-k9"
    os.replace(report, moved)
    assert clean_leftovers(report) == [moved]
    assert (report / "index.html").read_text() == "previous" and not moved.exists()


def test_a_build_killed_while_moving_entries_beside_the_users_files_is_rolled_back(tmp_path):
    report = tmp_path / "report"
    build_report(report, {"index.html": "previous", "samples/a.html": "previous a"})
    write_text(report / "CNAME", "example.org\n")
    before = snapshot(report)
    # killed half way: the old index and manifest moved aside, the new index moved in, samples/ not yet
    aside = tmp_path / f".report.aside-{dead_pid()}-k9"
    aside.mkdir()
    os.replace(report / "index.html", aside / "index.html")
    os.replace(report / MANIFEST, aside / MANIFEST)
    write_text(report / "index.html", "new")
    clean_leftovers(report)
    assert snapshot(report) == before and not aside.exists()


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_folder_that_cannot_be_written_is_the_users_problem_named_with_its_cause(tmp_path, code):
    report = tmp_path / "report"
    build_report(report, {"index.html": "old"})
    with pytest.raises(BuildError) as caught:
        with AtomicOutput(report) as out:
            raise OSError(code, os.strerror(code))
    message = str(caught.value)
    assert str(report) in message and os.strerror(code).lower() in message and errno.errorcode[code] in message
    assert (report / "index.html").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_a_parent_folder_that_refuses_the_temp_folder_names_the_folder(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    with pytest.raises(BuildError, match=rf"cannot write the report to {tmp_path}: permission denied \(EACCES\)"):
        build_report(tmp_path / "report", {"index.html": "x"})


# -- through the command line ---------------------------------------------------------------------------------

def write_spec(folder: Path, output_dir: str = "out") -> Path:
    (folder / "model.keras").write_bytes(b"not loaded: the output check comes first")
    (folder / "vocab.txt").write_text("<PAD>\ngood\nbad\n")
    spec = folder / "spec.yaml"
    spec.write_text(textwrap.dedent(f"""\
        version: 1
        title: t
        model: {{path: model.keras, labels: [neg, pos]}}
        input: {{level: word, vocabulary: vocab.txt}}
        samples: {{items: ["good", "bad"]}}
        output: {{dir: "{output_dir}", pdf: false}}
        """))
    return spec


@pytest.mark.parametrize("output_dir, cli_out", [(".", None), ("out", "."), ("out", "..")])
def test_build_refuses_an_output_folder_holding_the_spec_before_any_work(tmp_path, capsys, monkeypatch,
                                                                         output_dir, cli_out):
    folder = tmp_path / "project"
    folder.mkdir()
    spec = write_spec(folder, output_dir)
    (folder / "index.html").write_text("<p>mine</p>")
    monkeypatch.chdir(folder)
    before = snapshot(tmp_path)
    args = ["build", str(spec)] + (["--out", cli_out] if cli_out else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "holds this build's input" in err or "holds no report written by reportgen" in err
    assert snapshot(tmp_path) == before


def test_build_refuses_an_output_folder_with_an_index_html_that_is_not_a_report(tmp_path, capsys):
    folder = tmp_path / "project"
    folder.mkdir()
    spec = write_spec(folder)
    site = tmp_path / "my-site"
    site.mkdir()
    (site / "index.html").write_text("<p>my homepage</p>")
    (site / "data.csv").write_text("a,b\n")
    before = snapshot(tmp_path)
    assert main(["build", str(spec), "--out", str(site)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(site) in err and "data.csv" in err
    assert snapshot(tmp_path) == before
