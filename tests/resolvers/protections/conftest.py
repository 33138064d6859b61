"""Fixtures of the GraphQL protection tests."""

from __future__ import annotations
