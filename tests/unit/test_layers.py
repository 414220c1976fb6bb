"""The module layering of README's module table stays true.

Every ``mlcards.*`` import of every module (at the top or inside a function, typing-only ones
included) is read from the source and checked against ALLOWED. A new module must be added
here and to the README's table; an import that runs the wrong way fails this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from helpers import ROOT

import mlcards

PACKAGE = Path(mlcards.__file__).resolve().parent

# The rooms, and the rooms each may import. A package's modules may import each other.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "rules": set(),
    "sanitize": set(),
    "atomic": set(),
    "wording": set(),
    "statsdata": set(),
    "models": {"rules", "statsdata"},
    "clock": {"errors", "models", "rules"},
    "schedulers": {"models", "rules", "errors"},
    "scheduler": {"schedulers"},
    "deck": {"models", "errors", "sanitize", "deckcheck", "deckfiles"},
    "deckcheck": {"models"},
    "deckfiles": {"errors", "bundled", "sanitize"},
    "deckwriter": set(),
    "bundled": set(),
    "config": {"atomic", "errors", "rules", "sanitize"},
    "stats": {"models", "rules", "statsdata"},
    "exports": {"models", "rules", "stats", "statsdata"},
    "search": {"errors"},
    "session": {"models", "rules", "schedulers", "grading"},
    "grading": {"models", "rules", "schedulers", "replay"},
    "replay": {"models", "rules", "schedulers"},
    "evaluation": {"errors", "models", "replay", "rules", "schedulers"},
    "store": {"atomic", "models", "rules", "errors", "sanitize", "search", "statsdata"},
    "render": {"models", "rules", "sanitize", "clock", "terminal", "wording"},
    "terminal": set(),
    "review": {
        "models",
        "render",
        "session",
        "terminal",
        "services",
        "store",
        "config",
        "clock",
        "errors",
    },
    "output": {"atomic", "errors", "sanitize"},
    "syncfolder": {"atomic", "errors", "sanitize"},
    "lint": {"models", "errors", "wording"},
    "formats": {
        "atomic",
        "deck",
        "deckcheck",
        "deckfiles",
        "deckwriter",
        "models",
        "errors",
        "sanitize",
    },
    "services": {
        "anki",
        "atomic",
        "bundled",
        "clock",
        "config",
        "deck",
        "errors",
        "evaluation",
        "exports",
        "formats",
        "models",
        "replay",
        "rules",
        "sanitize",
        "schedulers",
        "search",
        "session",
        "stats",
        "statsdata",
        "store",
        "syncfolder",
        "wording",
    },
    "anki": {"formats", "models", "errors", "sanitize"},
    "cli": {"*"},
    "__main__": {"launch"},
    "launch": {"_help", "cli"},
    "_help": set(),
    "__init__": set(),
}

# records.py sits beside models.py (the records split off so that starting a command does
# not build them): whoever may read the models may read the records.
for _rooms in list(ALLOWED.values()):
    if "models" in _rooms:
        _rooms.add("records")
ALLOWED["records"] = {"models", "rules"}

# Known exceptions, each with the reason and the issue that removes it.
EXCEPTIONS = {
    # The root package's version string, for the migrations table and messages.
    ("store.db", "__init__"),
    # The version in the stamp of a shipped deck file (a new release is read again).
    ("services.decks", "__init__"),
}


def room(module: str) -> str:
    return module.split(".")[0]


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def mlcards_imports(path: Path, module: str) -> set[str]:
    """The mlcards modules (relative to the package) that a file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("mlcards."):
                    names.add(alias.name.removeprefix("mlcards."))
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "mlcards":
                names |= {alias.name for alias in node.names if alias.name != "__version__"}
                if any(alias.name == "__version__" for alias in node.names):
                    names.add("__init__")
            elif node.module.startswith("mlcards."):
                names.add(node.module.removeprefix("mlcards."))
    return names


def violations(module: str, imported: set[str]) -> list[str]:
    own = room(module)
    allowed = ALLOWED[own]
    wrong = []
    for target in sorted(imported):
        if "*" in allowed or room(target) == own or room(target) in allowed:
            continue
        if (module, room(target)) in EXCEPTIONS:
            continue
        wrong.append(f"{module} imports {target}")
    return wrong


@pytest.mark.parametrize("module", sorted(modules()))
def test_module_imports_follow_the_layering(module: str) -> None:
    assert room(module) in ALLOWED, f"{module}: a new room; add it to ALLOWED and the README"
    wrong = violations(module, mlcards_imports(modules()[module], module))
    assert not wrong, "\n".join(wrong)


def test_the_check_catches_an_import_the_wrong_way() -> None:
    assert violations("store.cards", {"clock"}) == ["store.cards imports clock"]
    assert violations("models", {"store.db"}) == ["models imports store.db"]
    assert violations("render.review", {"services.study"}) == [
        "render.review imports services.study"
    ]
    assert violations("session", {"schedulers.sm2", "rules"}) == []


def test_the_readme_module_table_names_every_room() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Modules", 1)[1].split("\n## ", 1)[0]
    missing = [name for name in ALLOWED if name not in ("__init__", "__main__")]
    missing = [name for name in missing if f"`{name}" not in section]
    assert not missing, f"rooms missing from README's module table: {missing}"
