"""The schema's extension runner looks hooks up once per class; what runs, and in which order,
is Strawberry's: generator hooks nest first in, last out, plain callables still run, an
exception inside the operation reaches the generators that wrap it, and every request gets
hooks bound to its own extension instances. Each test runs on Strawberry's own runner too."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import ClassVar

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from resolvers.engine.speedups.extension_runner import ExtensionsRunner


def _schema(
    calls: list[str], *extensions: type[SchemaExtension], stock: bool = False
) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def hello(self) -> str:
            calls.append("resolve")
            return "world"

        @strawberry.field
        def broken(self) -> str:
            raise ValueError("boom")

    class Schema(strawberry.Schema):
        def create_extensions_runner(self, execution_context, extensions):  # type: ignore[no-untyped-def]
            return ExtensionsRunner(execution_context=execution_context, extensions=extensions)

    return (strawberry.Schema if stock else Schema)(query=Query, extensions=list(extensions))


@pytest.mark.parametrize("stock", [False, True], ids=["ours", "strawberry"])
async def test_hooks_nest_in_strawberrys_order_on_every_request(stock: bool) -> None:
    calls: list[str] = []

    class Outer(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            calls.append(f"outer in {id(self) != 0}")
            yield
            calls.append("outer out")

        async def on_execute(self) -> AsyncIterator[None]:
            calls.append("outer execute in")
            yield
            calls.append("outer execute out")

    class Inner(SchemaExtension):
        seen: ClassVar[list[SchemaExtension]] = []

        def on_operation(self) -> Iterator[None]:
            Inner.seen.append(self)
            calls.append("inner in")
            yield
            calls.append("inner out")

        def on_parse(self) -> None:  # a plain callable: runs before parsing
            calls.append("inner parse")

        async def on_validate(self) -> None:  # a plain coroutine function
            calls.append("inner validate")

    Inner.seen = []
    schema = _schema(calls, Outer, Inner, stock=stock)
    for _ in range(2):
        result = await schema.execute("{ hello }")
        assert result.errors is None
        assert result.data == {"hello": "world"}
    once = [
        "outer in True",
        "inner in",
        "inner parse",
        "inner validate",
        "outer execute in",
        "resolve",
        "outer execute out",
        "inner out",
        "outer out",
    ]
    assert calls == once + once
    # A new extension instance per request, with hooks bound to it.
    assert len(Inner.seen) == 2
    assert Inner.seen[0] is not Inner.seen[1]


@pytest.mark.parametrize("stock", [False, True], ids=["ours", "strawberry"])
async def test_an_exception_inside_reaches_the_hooks_around_it(stock: bool) -> None:
    calls: list[str] = []

    class Guard(SchemaExtension):
        async def on_execute(self) -> AsyncIterator[None]:
            try:
                yield
            except RuntimeError as error:
                calls.append(f"caught {error}")
                raise ValueError("replaced") from error

    class Failing(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            yield
            raise RuntimeError("failed inside")

    schema = _schema(calls, Guard, Failing, stock=stock)
    result = await schema.execute("{ hello }")
    assert result.data is None
    assert [error.message for error in result.errors or []] == ["replaced"]
    assert calls == ["resolve", "caught failed inside"]
