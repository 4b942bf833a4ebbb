"""The pipeline's imports run one way: every import in every module, lazy ones inside functions too.

spec -> models/text -> engine -> results -> metrics -> report -> render -> output; build runs the stages;
cli and commands are thin. Each package's `__init__` says what it may import; this test holds them to it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

import reportgen

PACKAGE = Path(reportgen.__file__).parent
FRAMEWORKS = {"tensorflow", "keras", "tf_keras"}

# unit -> the units (and frameworks) it must never import
FORBIDDEN = {
    "engine": {"report", "render", "commands", "build", "cli", "api", "output"},
    "models": {"report", "render", "commands", "build", "cli", "api", "output", "engine", "metrics"},
    "text": {"report", "render", "commands", "build", "cli", "api", "output", "engine", "metrics"},
    "metrics": {"report", "render", "commands", "build", "cli", "api", "output"},
    "compare": {"report", "render", "commands", "build", "cli", "api", "output", "engine", "models", "text"}
    | FRAMEWORKS,
    "report": {"render", "commands", "build", "cli", "api", "output", "engine", "models", "metrics"} | FRAMEWORKS,
    "render": {"engine", "models", "commands", "build", "cli", "api", "metrics"} | FRAMEWORKS,
    "results": {"engine", "models", "text", "metrics", "report", "render", "commands", "build", "cli", "api",
                "spec", "samples", "output"} | FRAMEWORKS,
    "output": {"engine", "models", "text", "metrics", "report", "render", "commands", "build", "cli", "api",
               "spec", "samples", "results"} | FRAMEWORKS,
    "corpus": {"engine", "models", "metrics", "report", "render", "commands", "build", "cli", "api", "output"}
    | FRAMEWORKS,
    # the Ray backend: build hands it its chunk functions (build imports it, so it cannot import build)
    "distributed": {"report", "render", "commands", "cli", "api", "build", "output", "engine", "models", "text",
                    "metrics"} | FRAMEWORKS,
    # stored results are read without TensorFlow: only the engine's numpy modules (variants, resize)
    "store": {"models", "metrics", "report", "render", "commands", "build", "cli", "api", "output", "distributed"}
    | FRAMEWORKS,
    "errors": {"*"},
    "textsafe": {"*"},
}
# spec imports no other reportgen unit but the two standard-library-only leaves, errors and textsafe
# (validate and schema run without the rest)
ONLY = {"spec": {"errors", "textsafe"}, "errors": set(), "textsafe": set()}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, at any depth of the file (functions, TYPE_CHECKING blocks included)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            # `from reportgen import api` imports the module reportgen.api
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                if (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(".py").exists() or \
                        (PACKAGE.parent / Path(*candidate.split(".")) / "__init__.py").exists():
                    found.add(candidate)
    return found


def unit_of(module: str) -> str | None:
    """reportgen.engine.runner -> engine; tensorflow.x -> tensorflow; other libraries and the root -> None."""
    parts = module.split(".")
    if parts[0] in FRAMEWORKS:
        return parts[0]
    if parts[0] != "reportgen" or len(parts) == 1:
        return None
    return parts[1]


def unit_graph() -> dict[tuple[str, str], set[str]]:
    """(importing unit, imported unit) -> the modules where it happens."""
    edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in sorted(PACKAGE.rglob("*.py")):
        here = module_name(path)
        source = unit_of(here)
        for imported in imports_of(path):
            target = unit_of(imported)
            if source is None or target is None or target == source:
                continue
            edges[(source, target)].add(here)
    return edges


def test_the_scanner_sees_lazy_relative_and_from_package_imports(tmp_path):
    # the scanner itself: a rule test whose scanner misses imports would pass on anything
    edges = unit_graph()
    assert ("build", "render") in edges  # a lazy import inside write_report
    assert ("cli", "errors") in edges
    assert any(target in FRAMEWORKS for (_, target) in edges)  # engine/models import TensorFlow


def test_no_package_imports_one_to_its_right():
    problems = []
    for (source, target), where in sorted(unit_graph().items()):
        banned = FORBIDDEN.get(source, set())
        allowed = ONLY.get(source)
        if "*" in banned or target in banned or (allowed is not None and target not in allowed
                                                  and target not in FRAMEWORKS):
            problems.append(f"{source} imports {target} (in {', '.join(sorted(where))})")
        if source in ONLY and target in FRAMEWORKS:
            problems.append(f"{source} imports {target} (in {', '.join(sorted(where))})")
    assert problems == []


def test_a_command_never_imports_another_command():
    problems = []
    for path in sorted((PACKAGE / "commands").glob("*.py")):
        here = module_name(path)
        for imported in imports_of(path):
            if imported.startswith("reportgen.commands.") and imported != here:
                problems.append(f"{here} imports {imported}")
    assert problems == []


def test_no_cycle_between_top_level_units():
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in unit_graph():
        if target not in FRAMEWORKS:
            graph[source].add(target)

    def reaches(start: str, goal: str) -> list[str] | None:
        stack, seen = [(start, [start])], {start}
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph[node]):
                if nxt == goal:
                    return path + [nxt]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
        return None

    cycles = sorted({" -> ".join(cycle) for unit in sorted(graph) if (cycle := reaches(unit, unit))})
    assert cycles == []


@pytest.mark.parametrize("package", sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py")))
def test_each_package_says_what_it_may_import(package):
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text(encoding="utf-8"))) or ""
    assert "import" in doc.lower(), f"reportgen/{package}/__init__.py states no import rule"
