"""Vocabulary files: txt / json / csv, the tutorial's seed CSVs, and errors that name file and line."""

from pathlib import Path

from tests import paths
import pytest

from reportgen.errors import InputError
from reportgen.text.vocab import Vocabulary, load_vocabulary

SEED = paths.SEED
needs_seed = pytest.mark.skipif(not (SEED / "word_index.csv").exists(),
                                reason="the tutorial seed files (/work/shared/seed) are not present")


def write(tmp_path, name, data: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8", newline="")
    return path


def test_txt_ids_are_line_numbers_and_whitespace_is_kept(tmp_path):
    vocab = load_vocabulary(write(tmp_path, "v.txt", "<PAD>\n<OOV>\n the \nб\n"))
    assert vocab.token_to_id == {"<PAD>": 0, "<OOV>": 1, " the ": 2, "б": 3}
    assert vocab.token_for(2) == " the "
    assert vocab.max_id == 3


def test_txt_index_offset_and_crlf(tmp_path):
    vocab = load_vocabulary(write(tmp_path, "v.txt", "a\r\nb\r\nc"), index_offset=1)
    assert vocab.token_to_id == {"a": 1, "b": 2, "c": 3}


def test_txt_empty_line_is_the_empty_token(tmp_path):
    # Keras 3 get_vocabulary() written one per line starts with "" (padding) then "[UNK]".
    vocab = load_vocabulary(write(tmp_path, "v.txt", "\n[UNK]\nthe\n"))
    assert vocab.token_to_id == {"": 0, "[UNK]": 1, "the": 2}


def test_txt_duplicate_token_names_both_lines(tmp_path):
    path = write(tmp_path, "v.txt", "a\nb\nc\nb\n")
    with pytest.raises(InputError, match=r"v\.txt, line 4: token 'b' already on line 2"):
        load_vocabulary(path)


def test_txt_empty_file(tmp_path):
    with pytest.raises(InputError, match="empty"):
        load_vocabulary(write(tmp_path, "v.txt", ""))


def test_json_mapping_and_list(tmp_path):
    vocab = load_vocabulary(write(tmp_path, "v.json", '{"<PAD>": 0, " ": 5, "x": 2}'))
    assert vocab.token_to_id == {"<PAD>": 0, " ": 5, "x": 2}
    vocab = load_vocabulary(write(tmp_path, "l.json", '["a", "b"]'), index_offset=3)
    assert vocab.token_to_id == {"a": 3, "b": 4}


@pytest.mark.parametrize("content, message", [
    ('{"a": 1,\n "a": 2}', "token 'a' appears twice"),
    ('{"a": 1,\n "b": 1}', "id 1 is given to both 'a' and 'b'"),
    ('{"a": 1,\n "b": "x"}', "id 'x' is not an integer"),
    ('{"a": -1}', "negative"),
    ('{"a": 1.5}', "not an integer"),
    ('{"a": 1,\n\n "b" 2}', r"line 3: invalid JSON"),
    ('"a"', "expected a JSON object"),
])
def test_json_errors(tmp_path, content, message):
    path = write(tmp_path, "bad.json", content)
    with pytest.raises(InputError, match=message) as caught:
        load_vocabulary(path)
    assert "bad.json" in str(caught.value)


def test_csv_header_quoting_and_whitespace_tokens(tmp_path):
    path = write(tmp_path, "v.csv", 'token,id\n<PAD>,0\n ,1\n"\n",2\n",",3\n"""",4\n\t,5\n')
    vocab = load_vocabulary(path)
    assert vocab.token_to_id == {"<PAD>": 0, " ": 1, "\n": 2, ",": 3, '"': 4, "\t": 5}


def test_csv_pandas_series_header(tmp_path):
    # pandas Series.to_csv writes a ",0" header row; it is not a token "" with id 0.
    vocab = load_vocabulary(write(tmp_path, "v.csv", ",0\na,0\nb,1\n"))
    assert vocab.token_to_id == {"a": 0, "b": 1}


@pytest.mark.parametrize("content, message", [
    ("a,0\nb,1\nc,1\n", r"line 3: id 1 already used on line 2"),
    ("a,0\nb,1\na,2\n", r"line 3: token 'a' already on line 1"),
    ("a,0\nb,one\n", r"line 2: id 'one' is not an integer"),
    ("a,0\nb,1,2\n", r"line 2: expected 2 fields"),
    ("a,0\nb,-4\n", r"line 2: id -4 is negative"),
    ('a,0\n"x\ny",1\nz,1\n', r"line 4: id 1 already used on line 2"),  # a quoted token spans lines 2-3
    ("token,id\n", "no `token,id` rows"),
])
def test_csv_errors_name_file_and_line(tmp_path, content, message):
    path = write(tmp_path, "words.csv", content)
    with pytest.raises(InputError, match=message) as caught:
        load_vocabulary(path)
    assert str(caught.value).startswith(str(path))


def test_file_problems(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        load_vocabulary(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="extension '.xml'"):
        load_vocabulary(write(tmp_path, "v.xml", "a\n"))
    with pytest.raises(InputError, match=r"line 2: not UTF-8"):
        load_vocabulary(write(tmp_path, "v.txt", b"a\n\xff\n"))
    assert load_vocabulary(write(tmp_path, "v.dat", "a\nb\n"), fmt="txt").token_to_id == {"a": 0, "b": 1}


def test_from_tokens_rejects_duplicates():
    with pytest.raises(InputError, match="token 'x' appears twice"):
        Vocabulary.from_tokens(["x", "y", "x"])


@needs_seed
def test_seed_word_index_loads_with_whitespace_tokens():
    vocab = load_vocabulary(SEED / "word_index.csv")
    # Values read off the file by hand (cat -A): header ",0" then 101 rows and a final "<PAD>,0".
    assert len(vocab) == 102
    assert vocab.get(" ") == 2
    assert vocab.get("\t") == 97
    assert vocab.get("\n") == 32
    assert vocab.get('"') == 62
    assert vocab.get(",") == 27
    assert vocab.get("<OOV>") == 1
    assert vocab.get("<PAD>") == 0
    assert vocab.get("^") == 101
    assert vocab.get("") is None  # the header is not a token
    assert [vocab.get(c) for c in "the IRS"] == [4, 12, 3, 2, 26, 40, 36]


@needs_seed
def test_seed_labels_index_loads():
    vocab = load_vocabulary(SEED / "labels_index.csv")
    assert len(vocab) == 11
    assert vocab.get("Debt collection") == 0
    assert vocab.get("Mortgage") == 2
    assert vocab.token_for(10) == "Prepaid card"
