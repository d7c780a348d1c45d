"""Fill ``{name}`` and ``{name.attr}`` placeholders in a prompt from a namespace.

Only plain names and attribute chains are looked up: nothing is called or
evaluated, so a prompt that contains code or JSON braces is left as written.
``{{`` and ``}}`` stand for literal braces.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# A placeholder is an identifier, optionally followed by ".attribute" parts. Doubled braces
# are matched first so that "{{name}}" stays literal.
_TOKEN = re.compile(
    r"(?P<open>\{\{)|(?P<close>\}\})|\{(?P<path>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}"
)


# Libraries whose str() of a large object is a shortened display ("..." in place of rows).
_ABRIDGING_LIBRARIES = frozenset({"pandas", "numpy", "polars"})


@dataclass(frozen=True)
class FilledPrompt:
    """A prompt after placeholder substitution.

    Attributes:
        text: The prompt with placeholders replaced.
        filled: Placeholders that were replaced, in order of first use.
        unresolved: Placeholders left as written, each with the reason.
        abridged: Placeholders filled with a library's display text, which pandas, NumPy
            and polars shorten for large objects, each with the value's type name.
    """

    text: str
    filled: tuple[str, ...] = ()
    unresolved: tuple[tuple[str, str], ...] = field(default=())
    abridged: tuple[tuple[str, str], ...] = field(default=())


def fill_placeholders(template: str, namespace: Mapping[str, object]) -> FilledPrompt:
    """Replace ``{name}`` and ``{name.attr}`` with values from ``namespace``.

    A placeholder whose name is missing, or whose attribute chain fails or names a
    private attribute, is left as written and reported in ``unresolved``.

    >>> fill_placeholders("Summarise {doc}", {"doc": "a memo"}).text
    'Summarise a memo'
    """
    filled: dict[str, None] = {}
    unresolved: dict[str, str] = {}
    abridged: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        if match.group("open"):
            return "{"
        if match.group("close"):
            return "}"
        path = match.group("path")
        value, problem = _resolve(path, namespace)
        if problem is not None:
            unresolved.setdefault(path, problem)
            return match.group(0)
        filled.setdefault(path, None)
        if type(value).__module__.split(".")[0] in _ABRIDGING_LIBRARIES:
            abridged.setdefault(path, type(value).__name__)
        return str(value)

    text = _TOKEN.sub(replace, template)
    return FilledPrompt(text, tuple(filled), tuple(unresolved.items()), tuple(abridged.items()))


def _resolve(path: str, namespace: Mapping[str, object]) -> tuple[object, str | None]:
    root, *attributes = path.split(".")
    if root not in namespace:
        return None, f"no variable named {root!r}"
    value = namespace[root]
    for attribute in attributes:
        if attribute.startswith("_"):
            return None, f"private attribute {attribute!r} is not read"
        try:
            value = _plain_attribute(value, attribute)
        except AttributeError:
            return None, f"{type(value).__name__} has no data attribute {attribute!r}"
    return value, None


def _plain_attribute(obj: object, name: str) -> object:
    """Read a data attribute without running user code (no properties or methods)."""
    static = inspect.getattr_static(obj, name)
    if inspect.ismemberdescriptor(static) or type(static).__name__ == "_tuplegetter":
        # __slots__ members and namedtuple fields are stored data.
        return getattr(obj, name)
    if callable(static) or hasattr(static, "__get__"):
        raise AttributeError(name)
    return static
