"""Loads the operation documents, appending the shared fragments each one spreads."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from graphql import OperationDefinitionNode, parse

OPERATIONS_DIR = Path(__file__).parent / "operations"
_SPREAD = re.compile(r"\.\.\.\s*(?!on\b)([A-Za-z_]\w*)")
_FRAGMENT = re.compile(r"^fragment\s+([A-Za-z_]\w*)", re.MULTILINE)


@cache
def _fragments() -> dict[str, str]:
    text = (OPERATIONS_DIR / "_fragments.graphql").read_text()
    starts = [(m.group(1), m.start()) for m in _FRAGMENT.finditer(text)]
    ends = [start for _, start in starts[1:]] + [len(text)]
    return {name: text[start:end].strip() for (name, start), end in zip(starts, ends, strict=True)}


@cache
def load_operation(name: str) -> str:
    document = (OPERATIONS_DIR / f"{name}.graphql").read_text().strip()
    needed: list[str] = []
    pending = _SPREAD.findall(document)
    while pending:
        fragment = pending.pop()
        if fragment not in needed:
            needed.append(fragment)
            pending.extend(_SPREAD.findall(_fragments()[fragment]))
    return "\n\n".join([document, *(_fragments()[f] for f in sorted(needed))]) + "\n"


def operation_name(document: str) -> str:
    for definition in parse(document).definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.name:
            return definition.name.value
    raise ValueError("legacy operations must be named")
