"""Characters that must not reach a terminal or a page as they are, and how to show them instead.

Text a user controls (a sample, a TEXT argument, a file path, a sample id) can carry control characters
that act instead of showing: ESC starts terminal escape sequences (set the window title, clear the screen,
recolour), BEL rings, a NUL is not allowed in HTML, and the bidirectional controls (U+202A-U+202E,
U+2066-U+2069) reorder the words on screen so they no longer read in the order the model read them. Other
format characters (zero-width space, word joiner, BOM, tag characters) are invisible and can hide
words or split them without a trace.

Such characters are shown as visible stand-ins, never dropped: `terminal_safe` writes Python-style
escapes (`\\x1b`, `\\u202e`) for the terminal and error messages; `report_markers` gives `⟨U+202E⟩`
for the report. The exact text is kept wherever it is data (explanations.json).

Importing this module imports nothing but the standard library, so the CLI can use it for every message.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Zero-width joiner and non-joiner shape emoji sequences and Persian/Indic words: they are part of how the
# text is written, not a trick, so they are left alone.
_KEPT_FORMAT = frozenset("\u200c\u200d")
# What running text keeps as it is: line structure. A report keeps "\r" too (Windows line endings are
# whitespace in HTML); a terminal does not ("\r" returns to the line start and overprints what was shown).
_REPORT_KEEPS = frozenset("\t\n\r")
_TERMINAL_KEEPS = frozenset("\t\n")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


@functools.lru_cache(maxsize=None)
def _hidden_ranges() -> tuple[tuple[int, int], ...]:
    """Code point ranges of controls (Cc), surrogates (Cs) and format characters (Cf) but ZWJ/ZWNJ, from this
    Python's Unicode database (one pass, ~0.06 s, done on first use so importing stays free)."""
    ranges: list[list[int]] = []
    for code in range(0x110000):
        char = chr(code)
        if unicodedata.category(char) in ("Cc", "Cs", "Cf") and char not in _KEPT_FORMAT:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return tuple((a, b) for a, b in ranges)


@functools.lru_cache(maxsize=None)
def _pattern(keep: frozenset[str]) -> re.Pattern[str]:
    # One character class, so a scan is a single regex pass, linear in the text's length.
    parts = []
    for a, b in _hidden_ranges():
        parts.append(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}")
    hidden = re.compile("[" + "".join(parts) + "]")
    if not keep:
        return hidden
    kept = "".join(re.escape(c) for c in sorted(keep))
    return re.compile(f"(?![{kept}]){hidden.pattern}")


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def terminal_safe(text: object, keep_lines: bool = False) -> str:
    """`text` (str() of anything) with every control and invisible format character as a `\\x..` escape.

    `keep_lines=True` keeps newlines and tabs (a multi-line TEXT printed as it is written); otherwise the
    result is a single line (an error message: a path with a newline stays on its line).
    """
    pattern = _pattern(_TERMINAL_KEEPS if keep_lines else frozenset())
    return pattern.sub(lambda m: _escape(m.group()), str(text))


def marker(char: str) -> str:
    """The report's visible stand-in for a hidden character, e.g. ⟨U+202E⟩."""
    return f"\u27e8U+{ord(char):04X}\u27e9"


def report_markers(text: str) -> str:
    """`text` with each hidden character (line breaks and tabs kept) replaced by its `marker`."""
    return _pattern(_REPORT_KEEPS).sub(lambda m: marker(m.group()), text)


def hidden_characters(text: str) -> list[str]:
    """The distinct hidden characters of `text` (line breaks and tabs kept), in code point order."""
    return sorted(set(_pattern(_REPORT_KEEPS).findall(text)))


def has_hidden(text: str) -> bool:
    return _pattern(_REPORT_KEEPS).search(text) is not None


def split_hidden(text: str) -> list[tuple[str, bool]]:
    """`text` as pieces (piece, is_hidden_character), in order; concatenated they give `text`."""
    out: list[tuple[str, bool]] = []
    position = 0
    for match in _pattern(_REPORT_KEEPS).finditer(text):
        if match.start() > position:
            out.append((text[position:match.start()], False))
        out.append((match.group(), True))
        position = match.end()
    if position < len(text):
        out.append((text[position:], False))
    return out


def character_name(char: str) -> str:
    """The Unicode name, or for controls (which have none in the database) their usual name."""
    if 0xD800 <= ord(char) <= 0xDFFF:
        return "LONE SURROGATE"
    return unicodedata.name(char, _CONTROL_NAMES.get(char, "CONTROL CHARACTER"))


def describe_hidden(text: str) -> str | None:
    """A sentence for a sample's notes when its text holds hidden characters, else None."""
    found = hidden_characters(text)
    if not found:
        return None
    names = ", ".join(f"{marker(c)} {character_name(c)}" for c in found[:6])
    more = f" and {len(found) - 6} more kinds" if len(found) > 6 else ""
    count = len(_pattern(_REPORT_KEEPS).findall(text))
    plural = "s" if count != 1 else ""
    what = (f"control or invisible formatting character{plural}, including right-to-left/left-to-right overrides "
            "that would display its words in an order the model did not read"
            if any(c in _BIDI for c in found) else f"control or invisible formatting character{plural}")
    return (f"The text holds {count} {what} ({names}{more}). They are shown as markers such as "
            f"{marker(found[0])} where they stand, so the text reads in the order the model read it; "
            f"explanations.json keeps the exact text.")


_CONTROL_NAMES = {"\x00": "NULL", "\x07": "BELL", "\x08": "BACKSPACE", "\x0b": "LINE TABULATION",
                  "\x0c": "FORM FEED", "\r": "CARRIAGE RETURN", "\x1b": "ESCAPE", "\x7f": "DELETE"}
