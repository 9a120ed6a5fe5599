"""Safe SQL composition for the dialects psycopg does not speak (T-SQL, Databricks, SQLite).

The same discipline as ``psycopg.sql``: a statement is a constant template (``SQL``) whose ``{}`` holes take
only typed pieces: ``Identifier`` (validated, then quoted by the dialect), ``Literal`` (quoted by the dialect),
``Placeholder`` (a driver parameter) or other composed SQL. Strings are never pasted into SQL text.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass

from .base import check_identifier


@dataclass(frozen=True)
class Dialect:
    name: str
    ident_open: str
    ident_close: str
    string_prefix: str = ""
    backslash_escapes: bool = False
    placeholder: str = "?"

    def quote_identifier(self, name: str) -> str:
        return self.ident_open + name.replace(self.ident_close, self.ident_close * 2) + self.ident_close

    def quote_string(self, value: str) -> str:
        if self.backslash_escapes:
            # Spark SQL reads '' as two adjacent literals (concatenated), so escape with backslashes.
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return self.string_prefix + "'" + value.replace("'", "''") + "'"


TSQL = Dialect("tsql", "[", "]", string_prefix="N")
DATABRICKS = Dialect("databricks", "`", "`", backslash_escapes=True)
SQLITE = Dialect("sqlite", '"', '"')


class Composable:
    def as_string(self, dialect: Dialect) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def __add__(self, other: Composable) -> Composed:
        return Composed([self, other])


class Composed(Composable):
    def __init__(self, parts: Iterable[Composable]):
        self.parts = list(parts)
        for part in self.parts:
            if not isinstance(part, Composable):
                raise TypeError(f"Composed takes Composable parts, not {type(part).__name__}.")

    def as_string(self, dialect: Dialect) -> str:
        return "".join(part.as_string(dialect) for part in self.parts)


class SQL(Composable):
    """A constant piece of SQL text (never built from input)."""

    def __init__(self, text: str):
        if not isinstance(text, str):
            raise TypeError("SQL takes a constant string.")
        self.text = text

    def as_string(self, dialect: Dialect) -> str:
        return self.text

    def format(self, *args: Composable, **kwargs: Composable) -> Composed:
        parts: list[Composable] = []
        auto = 0
        for literal_text, field, spec, conversion in string.Formatter().parse(self.text):
            if literal_text:
                parts.append(SQL(literal_text))
            if field is None:
                continue
            if spec or conversion:
                raise ValueError("SQL templates take bare {} or {name} holes.")
            if field == "":
                value = args[auto]
                auto += 1
            elif field.isdigit():
                value = args[int(field)]
            else:
                value = kwargs[field]
            if not isinstance(value, Composable):
                raise TypeError(f"SQL hole {field or auto - 1} needs a Composable, not {type(value).__name__}.")
            parts.append(value)
        return Composed(parts)

    def join(self, items: Iterable[Composable]) -> Composed:
        parts: list[Composable] = []
        for item in items:
            if parts:
                parts.append(self)
            parts.append(item)
        return Composed(parts)


class Identifier(Composable):
    """A dotted name; every part must be a valid identifier and is quoted by the dialect."""

    def __init__(self, *names: str):
        if not names:
            raise ValueError("Identifier needs at least one name.")
        self.names = tuple(check_identifier(name, "Identifier") for name in names)

    def as_string(self, dialect: Dialect) -> str:
        return ".".join(dialect.quote_identifier(name) for name in self.names)


class Variable(Composable):
    """A T-SQL ``@name`` variable (the name is a validated identifier)."""

    def __init__(self, name: str):
        self.name = check_identifier(name, "Variable")

    def as_string(self, dialect: Dialect) -> str:
        return "@" + self.name


class Literal(Composable):
    """A string or integer value."""

    def __init__(self, value: str | int):
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise TypeError(f"Literal takes a string or an integer, not {type(value).__name__}.")
        self.value = value

    def as_string(self, dialect: Dialect) -> str:
        if isinstance(self.value, int):
            return str(int(self.value))
        return dialect.quote_string(self.value)


class Placeholder(Composable):
    """A driver parameter marker (``?`` or ``%s`` as the dialect says)."""

    def as_string(self, dialect: Dialect) -> str:
        return dialect.placeholder
