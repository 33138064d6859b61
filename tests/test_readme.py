"""The README's settings table lists every setting with its real default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
