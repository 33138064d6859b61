"""Strawberry's schema-extension runner, with each extension class's hooks looked up once.

Strawberry instantiates the extensions for every operation (so that they keep per-request state)
and, for each of the four lifecycle stages, inspects every extension again: is the hook
overridden, is it a generator or an async generator — then wraps the bound method with
``contextlib.contextmanager``, which copies its metadata with ``functools.update_wrapper``. With
our six extensions that is 24 inspections and 8 decorations per request (what they cost:
docs/PERFORMANCE.md). The answers depend only on the class, so here they are computed once per
(class, stage) and each request only binds the ready context-manager factory to its extension:
the same ``contextlib`` managers, entered and exited by Strawberry's own code in the same order.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner

# (extension class, hook name) → (context-manager factory taking the extension, is async);
# None when the class does not override the hook; _OTHER for hooks that are plain callables,
# which Strawberry's own lookup wraps.
_OTHER = object()
_HOOKS: dict[tuple[type, str], Any] = {}


def _compile(cls: type, name: str) -> Any:
    hook: Callable[..., Any] = getattr(cls, name)
    if hook is getattr(SchemaExtension, name):
        return None
    if inspect.isgeneratorfunction(hook):
        return contextlib.contextmanager(hook), False
    if inspect.isasyncgenfunction(hook):
        return contextlib.asynccontextmanager(hook), True
    return _OTHER


class _CachedHooks(ExtensionContextManagerBase):
    __slots__ = ()

    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        key = (type(extension), self.HOOK_NAME)
        try:
            found = _HOOKS[key]
        except KeyError:
            found = _HOOKS[key] = _compile(*key)
        if found is None:
            return None
        if found is _OTHER:
            return super().get_hook(extension)
        factory, is_async = found
        return WrappedHook(extension, functools.partial(factory, extension), is_async)


class _Operation(_CachedHooks, OperationContextManager):
    __slots__ = ()


class _Validation(_CachedHooks, ValidationContextManager):
    __slots__ = ()


class _Parsing(_CachedHooks, ParsingContextManager):
    __slots__ = ()


class _Executing(_CachedHooks, ExecutingContextManager):
    __slots__ = ()


class ExtensionsRunner(SchemaExtensionsRunner):
    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)
