"""Padding and truncation to a fixed length, and trimming padding off per-position weights."""

import pytest

from reportgen.text.padding import fit_length, strip_end_padding, text_positions, trim_padding


def test_post_padding():
    ids, info, kept = fit_length([5, 6, 7], 5)
    assert ids == [5, 6, 7, 0, 0]
    assert (info.length, info.padded, info.padding_side, info.truncated, info.truncating_side) == (
        5, 2, "post", 0, None)
    assert kept == slice(0, 3)


def test_pre_padding_with_pad_id():
    ids, info, kept = fit_length([5, 6, 7], 5, padding="pre", pad_id=9)
    assert ids == [9, 9, 5, 6, 7]
    assert (info.padded, info.padding_side) == (2, "pre")
    assert kept == slice(0, 3)


def test_post_truncation():
    ids, info, kept = fit_length([1, 2, 3, 4, 5, 6, 7], 5)
    assert ids == [1, 2, 3, 4, 5]
    assert (info.truncated, info.truncating_side, info.padded, info.padding_side) == (2, "post", 0, None)
    assert kept == slice(0, 5)
    assert "last 2" in info.notes[0]


def test_pre_truncation():
    ids, info, kept = fit_length([1, 2, 3, 4, 5, 6, 7], 5, truncating="pre")
    assert ids == [3, 4, 5, 6, 7]
    assert (info.truncated, info.truncating_side) == (2, "pre")
    assert kept == slice(2, 7)
    assert "first 2" in info.notes[0]


def test_exact_length_and_no_length():
    ids, info, kept = fit_length([1, 2, 3], 3)
    assert (ids, info.padded, info.truncated, info.padding_side) == ([1, 2, 3], 0, 0, None)
    ids, info, kept = fit_length([1, 2, 3], None)
    assert (ids, info.length, info.padded, info.truncated, kept) == ([1, 2, 3], 3, 0, 0, slice(0, 3))


def test_empty_text_is_all_padding_with_a_note():
    ids, info, kept = fit_length([], 3)
    assert ids == [0, 0, 0] and info.padded == 3 and kept == slice(0, 0)
    assert "no tokens" in info.notes[0]


def test_bad_arguments():
    with pytest.raises(ValueError):
        fit_length([1], 3, padding="middle")
    with pytest.raises(ValueError):
        fit_length([1], 3, truncating="both")
    with pytest.raises(ValueError):
        fit_length([1], 0)


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("seq, length", [([3, 1, 4, 1, 5, 9, 2, 6], 5), ([3, 1, 4], 6), ([0, 7, 0], 5),
                                         ([7], 1), ([2, 7, 1, 8], 4)])
def test_matches_keras_pad_sequences(padding, truncating, seq, length):
    from keras.utils import pad_sequences

    expected = pad_sequences([seq], maxlen=length, padding=padding, truncating=truncating, value=0)[0].tolist()
    ids, info, kept = fit_length(seq, length, padding=padding, truncating=truncating)
    assert ids == expected
    assert seq[kept] == ids[text_positions(info)]
    assert info.padded == max(0, length - len(seq)) and info.truncated == max(0, len(seq) - length)


@pytest.mark.parametrize("padding", ["pre", "post"])
def test_trim_padding_keeps_in_text_pad_ids(padding):
    text_ids = [0, 5, 0, 7, 0]  # pad-valued ids inside the text are real positions
    ids, info, kept = fit_length(text_ids, 8, padding=padding)
    weights = [10.0 * i for i in range(8)]
    trimmed = trim_padding(weights, info)
    assert len(trimmed) == len(text_ids)
    assert trimmed == (weights[:5] if padding == "post" else weights[3:])
    # The trimmed positions are exactly where the text's ids sit in the model input.
    assert ids[text_positions(info)] == text_ids


def test_trim_padding_without_padding_and_wrong_length():
    ids, info, kept = fit_length([1, 2], None)
    assert trim_padding([0.5, 0.25], info) == [0.5, 0.25]
    with pytest.raises(ValueError):
        trim_padding([0.5], info)


def test_strip_end_padding_only_at_the_padded_end():
    assert strip_end_padding([0, 4, 0, 5, 0, 0], 0, "post") == ([0, 4, 0, 5], 2)
    assert strip_end_padding([0, 4, 0, 5, 0, 0], 0, "pre") == ([4, 0, 5, 0, 0], 1)
    assert strip_end_padding([0, 0], 0, "post") == ([], 2)
    assert strip_end_padding([3, 4], 0, "post") == ([3, 4], 0)
