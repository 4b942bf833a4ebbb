"""User hook pipelines: loading "module:function" and validating what the function returns."""

import sys
import textwrap

import numpy as np
import pytest

from reportgen.errors import InputError
from reportgen.text.hook import HookPipeline

HOOK_SOURCE = textwrap.dedent('''
    def encode(text):
        ids, tokens, offsets = [1], ["<S>"], [None]
        position = 0
        for word in text.split():
            start = text.index(word, position)
            position = start + len(word)
            ids.append(len(word))
            tokens.append(word.lower())
            offsets.append((start, position))
        return ids, tokens, offsets

    not_callable = 3
''')


@pytest.fixture
def hook_dir(tmp_path):
    (tmp_path / "myhook_for_tests.py").write_text(HOOK_SOURCE)
    yield tmp_path
    sys.modules.pop("myhook_for_tests", None)


def test_module_function_from_the_spec_folder(hook_dir):
    path_before = list(sys.path)
    pipe = HookPipeline("myhook_for_tests:encode", base_dir=hook_dir)
    assert sys.path == path_before
    enc = pipe.encode("Hi  there")
    assert enc.ids == [1, 2, 5]
    assert [(t.text, t.span, t.id) for t in enc.tokens] == [("<S>", None, 1), ("hi", (0, 2), 2),
                                                            ("there", (4, 9), 5)]


def test_file_function(hook_dir):
    enc = HookPipeline("myhook_for_tests.py:encode", base_dir=hook_dir).encode("abc")
    assert enc.ids == [1, 3]


@pytest.mark.parametrize("reference, message", [
    ("no_colon", "write it as 'module:function'"),
    ("myhook_for_tests:missing", "has no attribute 'missing'"),
    ("myhook_for_tests:not_callable", "is not a function"),
    ("no_such_module_xyz:f", "hook module 'no_such_module_xyz' not found"),
    ("nofile.py:f", "hook file .*nofile.py.* not found"),
])
def test_loading_errors(hook_dir, reference, message):
    with pytest.raises(InputError, match=message):
        HookPipeline(reference, base_dir=hook_dir)


def test_module_whose_own_import_fails(tmp_path):
    (tmp_path / "brokenhook_for_tests.py").write_text("import not_installed_anywhere_xyz\n")
    with pytest.raises(InputError, match="importing 'brokenhook_for_tests' failed .*not_installed_anywhere_xyz"):
        HookPipeline("brokenhook_for_tests:f", base_dir=tmp_path)


def fixed(result):
    def hook(text):
        return result
    hook.__qualname__ = "fake_hook"
    return hook


@pytest.mark.parametrize("result, message", [
    ([1, 2], "returned list; it must return \\(ids, tokens, offsets\\)"),
    (([1, 2], ["a"], [(0, 1), (1, 2)]), "returned 2 ids, 1 tokens and 2 offsets"),
    (([1.0], ["a"], [(0, 1)]), "returned id 1.0 at position 0; ids must be integers"),
    (([True], ["a"], [(0, 1)]), "ids must be integers"),
    (([-1], ["a"], [(0, 1)]), "ids must be >= 0"),
    (([1], [7], [(0, 1)]), "returned token 7 at position 0; tokens must be strings"),
    (([1], ["a"], [(0, 9)]), "offset \\(0, 9\\) at position 0, outside the text of 3 characters"),
    (([1], ["a"], [(2, 2)]), "outside the text"),
    (([1], ["a"], [(-1, 1)]), "outside the text"),
    (([1], ["a"], [(0, 1, 2)]), "give \\(start, end\\) or None"),
    (([1], ["a"], [(0.0, 1)]), "start and end must be integers"),
    (("abc", ["a"], [(0, 1)]), "returned ids as str; give a list"),
])
def test_output_validation_names_the_hook(result, message):
    with pytest.raises(InputError, match=message) as caught:
        HookPipeline(fixed(result)).encode("abc")
    assert "hook 'fake_hook'" in str(caught.value)


def test_numpy_output_is_accepted():
    result = (np.array([4, 5]), ["a", "bc"], np.array([[0, 1], [1, 3]]))
    enc = HookPipeline(fixed(result)).encode("abc")
    assert enc.ids == [4, 5] and [t.span for t in enc.tokens] == [(0, 1), (1, 3)]
    assert all(type(i) is int for i in enc.ids)


def test_hook_exception_becomes_input_error():
    def boom(text):
        raise ValueError("bad text")
    with pytest.raises(InputError, match=r"hook '.*boom' failed on a text \(ValueError: bad text\)"):
        HookPipeline(boom).encode("x")
