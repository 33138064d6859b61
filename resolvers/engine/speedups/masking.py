"""Error masking without Strawberry's runtime ``Protocol`` check.

``MaskErrors._process_result`` (private) asks ``isinstance(result, <runtime-checkable
Protocol>)``, which walks the protocol's members on every operation; reading the attribute says
the same. Everything else is ``MaskInternalErrors``' (resolvers/engine/masking.py)."""

from __future__ import annotations

from resolvers.engine.masking import MaskInternalErrors


class FastMaskInternalErrors(MaskInternalErrors):
    def _process_result(self, result: object) -> None:
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]
