"""No module over 500 lines, no class over 250, no function over 80 in ``mlcards/``.

Sizes are read with ``ast``: a module's lines, and a class's or function's span from its
first line (decorators not counted) to its last. ALLOWED listed the offenders known when the
limits came in; all are split now and it stays empty (an entry that no longer offends
fails, so the list only shrinks). Anything over a limit fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mlcards

PACKAGE = Path(mlcards.__file__).resolve().parent

MODULE_LINES = 500
CLASS_LINES = 250
FUNCTION_LINES = 80

# (kind, file relative to mlcards/, qualified name) of the known offenders: none left.
ALLOWED: set[tuple[str, str, str]] = set()


def offenders(source: str, name: str) -> dict[tuple[str, str, str], int]:
    """(kind, file, qualified name) -> lines, for everything in ``source`` over a limit."""
    found: dict[tuple[str, str, str], int] = {}
    lines = len(source.splitlines())
    if lines > MODULE_LINES:
        found["module", name, ""] = lines

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                qualified = prefix + child.name
                span = (child.end_lineno or child.lineno) - child.lineno + 1
                if isinstance(child, ast.ClassDef):
                    kind, limit = "class", CLASS_LINES
                else:
                    kind, limit = "function", FUNCTION_LINES
                if span > limit:
                    found[kind, name, qualified] = span
                visit(child, qualified + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


def measured() -> dict[tuple[str, str, str], int]:
    found: dict[tuple[str, str, str], int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        found |= offenders(path.read_text(encoding="utf-8"), name)
    return found


def test_no_new_module_class_or_function_over_its_limit() -> None:
    new = {key: lines for key, lines in measured().items() if key not in ALLOWED}
    assert not new, f"over the size limits (split them): {new}"


def test_every_allowed_offender_still_offends() -> None:
    stale = ALLOWED - set(measured())
    assert not stale, f"within the limits now: remove from ALLOWED in this file: {stale}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 1\n" * (MODULE_LINES + 1), {("module", "m.py", "")}),
        ("x = 1\n" * MODULE_LINES, set()),
        (
            "class A:\n    def f(self):\n" + "        x = 1\n" * FUNCTION_LINES,
            {("function", "m.py", "A.f")},
        ),
        ("def f():\n" + "    x = 1\n" * (FUNCTION_LINES - 1), set()),
        ("class A:\n" + "    x = 1\n" * CLASS_LINES, {("class", "m.py", "A")}),
        (
            "def f():\n    def g():\n" + "        x = 1\n" * FUNCTION_LINES,
            {("function", "m.py", "f"), ("function", "m.py", "f.g")},
        ),
    ],
)
def test_the_measure_finds_what_is_over(source: str, expected: set[tuple[str, str, str]]) -> None:
    assert set(offenders(source, "m.py")) == expected
