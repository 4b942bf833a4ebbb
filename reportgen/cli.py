"""The `reportgen` command line: arguments and exit codes only.

Each subcommand calls `run(...)` in `reportgen.commands.<name>`, imported only when that subcommand runs,
so `reportgen --help`, `validate` and `schema` never import TensorFlow. Exit codes: 0 ok; 2 for a problem
the user can fix (`ReportgenError`, and bad command-line arguments), printed as `reportgen: error: ...`
lines without a traceback; 1 for anything else (a bug): one line, plus the traceback with `--debug`.
Ctrl-C (SIGINT) and SIGTERM end a command with one line, `reportgen: interrupted` (130) or `reportgen:
terminated` (143): both unwind the command like an exception, so the previous report is left as it was, the
build's temporary folder is removed and its worker processes stopped.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from types import ModuleType

from reportgen import __version__
from reportgen.errors import ReportgenError, SpecError
from reportgen.textsafe import terminal_safe

PROG = "reportgen"


Handler = Callable[[argparse.Namespace], "int | None"]


class _Parser(argparse.ArgumentParser):
    """argparse quotes arguments back in its errors ("unrecognized arguments: ..."), some without repr():
    control characters in them are shown as escapes there too. Subcommand parsers inherit the class."""

    def _print_message(self, message: str, file=None) -> None:
        super()._print_message(terminal_safe(message, keep_lines=True) if message else message, file)


class CommandMissing(Exception):
    """A subcommand whose module is not part of this installation."""


class Terminated(BaseException):
    """SIGTERM, raised in the main thread like KeyboardInterrupt so `with` blocks and `finally` clean up.

    A BaseException, so no `except Exception` on the way swallows it."""


_SIGNAL_EXITS = {signal.SIGINT: (130, "interrupted"), signal.SIGTERM: (143, "terminated")}


def _run_with_signals(handler: Handler, args: argparse.Namespace) -> "int | None":
    """Run a command with SIGINT and SIGTERM turned into exceptions; their handlers are put back afterwards.

    Without a handler SIGTERM ends Python at once: no cleanup, the temporary folder left behind. A second
    signal while the first one unwinds ends the process at once (one line still): whoever sends it wants out,
    worker processes die with their parent and the next build removes a dead build's temporary folder.
    A signal ignored when the command started (`nohup`, a background job) stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        return handler(args)
    received: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        code, word = _SIGNAL_EXITS[signal.Signals(signum)]
        if received:
            os.write(2, f"{PROG}: {word}\n".encode())
            os._exit(code)
        received.append(signum)
        raise KeyboardInterrupt if signum == signal.SIGINT else Terminated

    previous = {}
    for signum in _SIGNAL_EXITS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, on_signal)
    try:
        return handler(args)
    finally:
        for signum, old in previous.items():
            signal.signal(signum, signal.SIG_DFL if old is None else old)


def _command(name: str) -> ModuleType:
    module = f"reportgen.commands.{name}"
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name == module:
            raise CommandMissing(name) from None
        raise


# One function per subcommand: unpack the arguments, call the command.

def _validate(args: argparse.Namespace) -> int | None:
    return _command("validate").run(args.spec)


def _schema(args: argparse.Namespace) -> int | None:
    return _command("schema").run()


def _build(args: argparse.Namespace) -> int | None:
    return _command("build").run(args.spec, out=args.out, pdf=not args.no_pdf, quiet=args.quiet)


def _inspect(args: argparse.Namespace) -> int | None:
    return _command("inspect").run(args.model, as_json=args.json)


def _init(args: argparse.Namespace) -> int | None:
    return _command("init").run(args.model, out=args.out, samples=args.samples, labels=args.labels,
                                force=args.force)


def _explain(args: argparse.Namespace) -> int | None:
    model, texts = args.model, list(args.text)
    if args.spec is not None and model is not None:  # with a spec every positional argument is a text
        model, texts = None, [model, *texts]
    return _command("explain").run(model, texts, spec=args.spec, html=args.html, vocabulary=args.vocabulary,
                                   level=args.level, layers=args.layer, targets=args.target, labels=args.labels,
                                   relu=False if args.no_relu else None, oov_token=args.oov_token,
                                   start_token=args.start_token, color=args.color)


def _serve(args: argparse.Namespace) -> int | None:
    return _command("serve").run(args.directory, port=args.port)


def label_list(value: str) -> list[str]:
    """`--labels a,b,c` -> ["a", "b", "c"]; a blank name is a usage error (exit 2)."""
    names = [name.strip() for name in value.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"{value!r}: a label name is empty; separate names with commas")
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Static HTML/PDF reports that explain Keras text classifier predictions with Grad-CAM.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of internal errors")
    # Subcommands accept --debug too; SUPPRESS keeps a top-level --debug from being reset to False.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text, parents=[common])
        sub.set_defaults(handler=handler)
        return sub

    sub = add("build", _build, "build the report (HTML site, PDF, explanations.json) described by a spec")
    sub.add_argument("spec", metavar="SPEC", help="the spec file (YAML)")
    sub.add_argument("--out", metavar="DIR", help="output folder (default: output.dir of the spec)")
    sub.add_argument("--no-pdf", action="store_true", help="skip the PDF")
    sub.add_argument("--quiet", action="store_true", help="no progress output")

    sub = add("validate", _validate, "check a spec, the files it names and its samples, without running the model")
    sub.add_argument("spec", metavar="SPEC", help="the spec file (YAML)")

    add("schema", _schema, "print the JSON Schema of the spec format")

    sub = add("inspect", _inspect, "list a model's layers, inputs and outputs")
    sub.add_argument("model", metavar="MODEL", help="model file (.keras or .h5)")
    sub.add_argument("--json", action="store_true", help="print the facts as JSON (sorted keys)")

    sub = add("init", _init, "write a starter spec for a model")
    sub.add_argument("model", metavar="MODEL", help="model file (.keras or .h5)")
    sub.add_argument("--out", metavar="FILE", default="spec.yaml", help="the spec to write (default: spec.yaml)")
    sub.add_argument("--samples", metavar="FILE", help="samples: a .csv, .jsonl or .txt file, or a folder of .txt")
    sub.add_argument("--labels", metavar="A,B,...", type=label_list,
                     help="label names in output order, separated by commas")
    sub.add_argument("--force", action="store_true", help="overwrite FILE if it exists")

    sub = add("explain", _explain, "explain texts with a model, or with the model, input and labels of a spec")
    sub.add_argument("model", metavar="MODEL", nargs="?", help="model file (.keras or .h5); omitted with --spec")
    sub.add_argument("text", metavar="TEXT", nargs="+", help="the text to explain (several: one after another)")
    sub.add_argument("--spec", metavar="SPEC", help="take the model, input pipeline, labels, task and "
                     "explain.layers/targets/relu/score from this spec; the flags below override it")
    sub.add_argument("--html", metavar="FILE", help="also write the explanation of one TEXT as an HTML page")
    sub.add_argument("--vocabulary", metavar="FILE",
                     help="token ids of an ids model: txt (one token per line), json or csv token,id")
    sub.add_argument("--level", choices=("word", "char"), help="tokenise by word or character "
                     "(default: char if every vocabulary token is one character)")
    sub.add_argument("--oov-token", metavar="TOKEN", help="the vocabulary token for unknown words")
    sub.add_argument("--start-token", metavar="TOKEN", help="a vocabulary token the model expects first")
    sub.add_argument("--layer", action="append", metavar="L",
                     help="layer name, outer/inner path, index, auto or all (repeat for several; default auto)")
    sub.add_argument("--target", action="append", metavar="T",
                     help="label name or index, predicted, all or top-K (repeat for several; default predicted)")
    sub.add_argument("--labels", metavar="A,B,...", type=label_list,
                     help="label names in output order, separated by commas")
    sub.add_argument("--no-relu", action="store_true", help="keep negative weights (evidence against the target)")
    sub.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                     help="colour the text (default auto: on a terminal unless NO_COLOR is set)")

    sub = add("serve", _serve, "serve a built report folder over HTTP on 127.0.0.1")
    sub.add_argument("directory", metavar="DIR", help="the report folder")
    sub.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error (argparse already printed it)
        return stop.code if isinstance(stop.code, int) else 2
    debug = getattr(args, "debug", False)
    try:
        status = _run_with_signals(args.handler, args)
    except ReportgenError as error:
        for line in _error_lines(error):
            print(f"{PROG}: error: {line}", file=sys.stderr)
        return getattr(error, "exit_code", 2)
    except CommandMissing as missing:
        print(f"{PROG}: internal error: the '{terminal_safe(missing)}' command is not part of this installation",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"{PROG}: terminated", file=sys.stderr)
        return 143
    except Exception as error:  # a bug: keep the user's terminal readable unless asked for details
        print(f"{PROG}: internal error: {type(error).__name__}: {terminal_safe(error)}", file=sys.stderr)
        if debug:
            traceback.print_exc()
        else:
            print(f"{PROG}: run again with --debug for the traceback", file=sys.stderr)
        return 1
    return 0 if status is None else int(status)


def _error_lines(error: ReportgenError) -> list[str]:
    """One line per problem, control characters shown as escapes: messages quote paths, sample ids and
    texts as the user gave them, and an ESC or a newline in those must not act on the terminal or forge
    another line of output."""
    if isinstance(error, SpecError) and error.problems:
        return [terminal_safe(problem) for problem in error.problems]
    return [terminal_safe(error) if str(error) else type(error).__name__]
