"""The README's settings table lists every setting with its real default, and its command
table every command of the CLI."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from app.cli import build_parser
from app.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
ROWS = dict(re.findall(r"^\| `(VENDO_[A-Z_]+)` \| ([^|]+) \|", README, flags=re.MULTILINE))


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_readme_lists_setting_with_its_default(name: str) -> None:
    variable = f"VENDO_{name.upper()}"
    assert variable in ROWS, f"{variable} is missing from the README's settings table"
    default = Settings.model_fields[name].default
    shown = ROWS[variable].strip()
    if default is None:
        assert shown == "unset"
    else:
        assert shown == f"`{str(default).lower() if isinstance(default, bool) else default}`"


def test_readme_lists_no_unknown_setting() -> None:
    known = {f"VENDO_{name.upper()}" for name in Settings.model_fields}
    assert set(ROWS) <= known


def _commands() -> list[str]:
    """Every leaf command of ``vendo-gateway``: "serve", "session create", …"""
    found = []
    pending = [("", build_parser())]
    while pending:
        prefix, parser = pending.pop()
        subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subparsers:
            found.append(prefix.strip())
        for action in subparsers:
            pending += [(f"{prefix} {name}", sub) for name, sub in action.choices.items()]
    return sorted(found)


COMMAND_ROWS = re.findall(
    r"^\| `vendo-gateway ([a-z -]+?)(?: [-\[`]|`)", README, flags=re.MULTILINE
)


@pytest.mark.parametrize("command", _commands())
def test_readme_command_table_lists_every_command(command: str) -> None:
    assert command in COMMAND_ROWS, f"vendo-gateway {command} is missing from the README"


def test_readme_command_table_lists_no_unknown_command() -> None:
    assert set(COMMAND_ROWS) - {"--version"} <= set(_commands())
