"""``remembered``: each key computed once while the memo has room; all forgotten when full."""

from __future__ import annotations

from app.cache.memo import remembered


def test_remembered_computes_each_key_once_and_forgets_all_when_full() -> None:
    calls: list[int] = []

    def square(n: int) -> int | None:
        calls.append(n)
        return None if n < 0 else n * n

    memo = remembered(square, 2)
    assert [memo(2), memo(2), memo(3), memo(3)] == [4, 4, 9, 9]
    assert calls == [2, 3]
    assert memo(4) == 16  # full: everything forgotten, then 4 kept
    assert memo(2) == 4
    assert calls == [2, 3, 4, 2]
    assert memo(-1) is None
    assert memo(-1) is None
    assert calls == [2, 3, 4, 2, -1, -1]  # None is never remembered
