"""The import rules of ARCHITECTURE.md, checked on the source: every ``brevefeed`` import of
every module is read with ``ast`` (function-level imports included) and must be allowed by the
table below, which mirrors the one in ARCHITECTURE.md. A new top-level module or package needs
its row here and there before it can land."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src"
PACKAGE = SRC / "brevefeed"

#: Unit → the units it may import. A unit is a top-level module or package of brevefeed;
#: a unit may always import its own modules, and everyone may import the package itself
#: (``brevefeed``, for ``__version__``). Migrations are history: a released revision imports nothing
#: of ours (it must do what it did the day it shipped), only Alembic's env reads the models.
ALLOWED: dict[str, frozenset[str]] = {
    "brevefeed": frozenset(),
    "errors": frozenset(),
    "urls": frozenset(),
    "files": frozenset(),
    "text": frozenset(),
    "config": frozenset({"errors", "urls"}),
    "authoring": frozenset({"errors", "text", "urls"}),
    "archive": frozenset({"errors", "text", "urls", "authoring"}),
    "archive.migrations": frozenset({"archive"}),
    "archive.migrations.versions": frozenset(),
    "search": frozenset({"errors", "text", "urls", "config", "archive"}),
    "ingest": frozenset({"errors", "text", "urls", "config", "archive"}),
    "publish": frozenset({"errors", "text", "urls", "files", "config", "archive"}),
    "importing": frozenset({"errors", "text", "urls", "config", "authoring", "archive"}),
    "related": frozenset({"errors", "text", "urls", "config", "archive", "search"}),
    # The passes that span capabilities (ingest, then link what it brought).
    "pipeline": frozenset({"errors", "text", "urls", "config", "archive", "ingest", "related"}),
    # Everything above: the command line is the top.
    "cli": frozenset(
        "errors text urls files config authoring archive "
        "search ingest publish importing related pipeline".split()
    ),
    "__main__": frozenset({"cli"}),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit_of(module: str) -> str:
    """``brevefeed.archive.migrations.versions.0004_search`` → ``archive.migrations.versions``;
    ``brevefeed.ingest.run`` → ``ingest``; ``brevefeed`` or ``brevefeed.__version__`` →
    ``brevefeed`` (the package itself)."""
    parts = module.split(".")[1:]
    for depth in (3, 2):
        nested = ".".join(parts[:depth])
        if nested in ALLOWED:
            return nested
    return "brevefeed" if not parts or parts[0] == "__version__" else parts[0]


def imported(path: Path) -> list[tuple[int, str]]:
    """Every brevefeed module ``path`` imports, with its line, relative imports resolved."""
    module = _module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - (node.level - 1)] if node.level else []
            if node.module:
                base = [*base, node.module]
            # Each name may be a module (``from brevefeed import ingest``): judged as one.
            names = [".".join([*base, alias.name]) for alias in node.names]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] == "brevefeed"]
    return found


def broken_rules(root: Path) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        source = unit_of(_module_name(path))
        if source not in ALLOWED:
            problems.append(f"{path}: unit {source!r} has no row in ALLOWED (ARCHITECTURE.md)")
            continue
        for line, name in imported(path):
            target = unit_of(name)
            if target not in {source, "brevefeed"} and target not in ALLOWED[source]:
                problems.append(f"{path}:{line}: {source} may not import {name}")
    return problems


def test_every_import_follows_the_rules() -> None:
    assert broken_rules(PACKAGE) == []


def test_the_table_matches_architecture_md() -> None:
    text = (SRC.parent / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for unit, allowed in ALLOWED.items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{unit}` |")), "")
        assert row, f"ARCHITECTURE.md has no row for {unit}"
        listed = row.split("|")[2]
        quoted = {word[1:-1] for word in listed.split() if word[:1] == word[-1:] == "`"}
        named = quoted & set(ALLOWED)
        assert named == set(allowed) or (unit == "cli" and "everything" in listed), unit


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        ("text/fold.py", "from brevefeed.archive import Archive", "text may not import"),
        ("config.py", "from brevefeed import errors, ingest", "config may not import"),
        ("config.py", "from brevefeed import __version__, errors", None),
        ("archive/db.py", "from ..config import Config", "archive may not import"),
        ("archive/migrations/versions/0009_x.py", "from brevefeed.text import fold", "versions"),
        ("ingest/run.py", "from brevefeed.related.run import link_new", "ingest may not import"),
        ("ingest/run.py", "from brevefeed.ingest.fetch import fetch", None),
        ("newthing.py", "import os", "no row"),
    ],
)
def test_a_broken_rule_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, line: str, expected: str | None
) -> None:
    # The checker itself, on a tree with one planted module: it can fail.
    monkeypatch.setattr(f"{__name__}.SRC", tmp_path)
    planted = tmp_path / "brevefeed" / module
    planted.parent.mkdir(parents=True)
    planted.write_text(line + "\n", encoding="utf-8")
    problems = broken_rules(tmp_path / "brevefeed")
    if expected is None:
        assert problems == []
    else:
        assert len(problems) == 1 and expected in problems[0]
