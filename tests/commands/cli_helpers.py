"""What the command tests share: running the CLI in-process, and finding a spec line."""

from __future__ import annotations

import re
from pathlib import Path

from reportgen.cli import main


def cli(capsys, *args) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of `reportgen ARGS…` run in this process."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def line_of(spec_file: Path, pattern: str) -> int:
    """The 1-based line of the spec matching `pattern` (a regular expression), which must be unique."""
    lines = [n for n, text in enumerate(spec_file.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(pattern, text)]
    assert len(lines) == 1, (pattern, lines)
    return lines[0]
