"""The layout's rules hold: SQL is written in app/repositories only, its private helpers stay
inside it, and no resolvers module hides an import cycle behind an import inside a function."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVER = ("app", "resolvers", "legacy_rest")
SOURCES = (*SERVER, "bench", "scripts")
# Besides the repositories: the tables' own definitions (partial indexes), the migration scripts,
# and engine set-up (SQLite pragmas, the BEGIN a writer takes). bench/baselines.py is a raw-SQL
# server to compare against, not the gateway.
README = (ROOT / "README.md").read_text()
SQL_ALLOWED = (
    "app/repositories/",
    "app/models/",
    "app/migrations/versions/",
    "app/migrations/env.py",
    "app/db.py",
)
# What builds a statement; exceptions, sessions, engines and events may be imported anywhere.
STATEMENT_BUILDERS = {
    "select",
    "insert",
    "update",
    "delete",
    "text",
    "func",
    "bindparam",
    "literal_column",
    "col",
    "exists",
}


def modules(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def statement_builders(module: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(module):
        if isinstance(node, ast.ImportFrom) and node.module in {"sqlalchemy", "sqlmodel"}:
            found |= {alias.name for alias in node.names} & STATEMENT_BUILDERS
        if isinstance(node, ast.Attribute) and node.attr == "exec_driver_sql":
            found.add("exec_driver_sql")
    return found


def private_repository_imports(module: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(module):
        if isinstance(node, ast.ImportFrom) and node.module:
            named = [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            named = [alias.name for alias in node.names]
        else:
            continue
        found |= {n for n in named if n.startswith("app.repositories._")}
    return found


def imports_inside_functions(module: ast.Module) -> list[int]:
    lines = []
    for function in ast.walk(module):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            lines += [
                node.lineno
                for node in ast.walk(function)
                if isinstance(node, ast.Import | ast.ImportFrom)
            ]
    return lines


@pytest.mark.parametrize(
    "path", [p for p in modules(*SERVER) if not name(p).startswith(SQL_ALLOWED)], ids=name
)
def test_layout_no_sql_outside_repositories(path: Path) -> None:
    assert statement_builders(tree(path)) == set()


@pytest.mark.parametrize(
    "path", [p for p in modules(*SOURCES) if not name(p).startswith("app/repositories/")], ids=name
)
def test_layout_repository_private_modules_stay_inside(path: Path) -> None:
    assert private_repository_imports(tree(path)) == set()


@pytest.mark.parametrize("path", modules("resolvers"), ids=name)
def test_layout_resolvers_import_at_module_level_only(path: Path) -> None:
    """An import inside a function is how a cycle hides; TYPE_CHECKING imports sit at module
    level and are fine."""
    assert imports_inside_functions(tree(path)) == []


def layout_section() -> str:
    return README.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def test_layout_readme_names_existing_paths() -> None:
    """Every path the README's Layout section names exists (``<domain>``: in some domain)."""
    named = re.findall(r"\b((?:app|resolvers|legacy_rest|docs)/[\w/.*<>-]*)", layout_section())
    patterns = {re.sub(r"<\w+>", "*", path.rstrip(".")) for path in named}
    assert len(patterns) >= 30
    assert sorted(p for p in patterns if not any(ROOT.glob(p))) == []
