"""Secrets at rest: Fernet tokens under ``VENDO_SECRET_KEYS`` (comma-separated, newest first).

MultiFernet encrypts with the first key and decrypts with any, so adding a new key in front keeps
old tokens readable; ``vendo-gateway secrets rotate`` then re-encrypts every stored secret under
the newest key, after which the old key can be dropped. With no key configured, any write that
carries a secret is refused (UNAVAILABLE, HTTP 503) before anything is written, and the refusal
is logged naming the setting. (In development, ``serve`` supplies a key of its own: app/startup.py.)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.errors import Unavailable

UNAVAILABLE = "Secret encryption service unavailable"
log = logging.getLogger("vendo.secrets")


def parse_keys(value: str | None) -> list[Fernet]:
    """Fernet keys from a comma-separated setting; raises ValueError on a malformed key."""
    keys = [part.strip() for part in (value or "").split(",") if part.strip()]
    return [Fernet(key) for key in keys]


class SecretBox:
    def __init__(self, keys: list[Fernet]) -> None:
        self._fernet = MultiFernet(keys) if keys else None

    @property
    def available(self) -> bool:
        return self._fernet is not None

    def _require(self) -> MultiFernet:
        if self._fernet is None:
            log.warning(
                "refused to read or write a secret: VENDO_SECRET_KEYS is not set "
                "(comma-separated Fernet keys; see the README)"
            )
            raise Unavailable(UNAVAILABLE)
        return self._fernet

    def encrypt(self, value: str) -> str:
        return self._require().encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._require().decrypt(token.encode()).decode()

    def encrypt_all(self, values: Mapping[str, str]) -> dict[str, str]:
        """Every value encrypted; refused (503) if there is any value and no key."""
        return {name: self.encrypt(value) for name, value in values.items()}

    def rotate(self, token: str) -> str:
        """The same secret under the newest key."""
        return self._require().rotate(token.encode()).decode()

    def rotate_all(self, tokens: Mapping[str, str]) -> dict[str, str]:
        return {name: self.rotate(token) for name, token in tokens.items()}


__all__ = ["UNAVAILABLE", "InvalidToken", "SecretBox", "parse_keys"]
