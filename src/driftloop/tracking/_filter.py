"""Run filters such as ``metrics.auc > 0.8 and params.model = 'rf'``, parsed into SQL.

Grammar (case-insensitive keywords)::

    expr       := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := "(" expr ")" | comparison
    comparison := field op value | field ["not"] "in" "(" value ("," value)* ")"
                | field "is" ["not"] "null"
    field      := ("metrics" | "params" | "tags" | "attributes") "." name | attribute
    op         := = | == | != | <> | < | <= | > | >= | like | ilike

Names with spaces or dashes are quoted with backticks: ``metrics.`val-auc` > 0.9``.
Parsing never evaluates anything; the result is a SQLAlchemy clause over ``runs``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, cast, exists, not_, or_, select

from driftloop.errors import InvalidInputError
from driftloop.store._tracking_rows import LatestMetricRow, ParamRow, RunRow, TagRow

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)
      | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op><=|>=|!=|<>|==|=|<|>|\(|\)|,)
      | (?P<field>[A-Za-z_][\w]*\.(?:`[^`]+`|[\w./-]+))
      | (?P<word>[A-Za-z_]\w*)
    )""",
    re.VERBOSE,
)

ATTRIBUTES = {
    "run_id": RunRow.id,
    "id": RunRow.id,
    "run_name": RunRow.name,
    "name": RunRow.name,
    "status": RunRow.status,
    "user": RunRow.user,
    "start_time": RunRow.start_time,
    "end_time": RunRow.end_time,
    "git_commit": RunRow.git_commit,
    "parent_run_id": RunRow.parent_run_id,
}
_PREFIXES = {
    "metrics": "metric",
    "metric": "metric",
    "params": "param",
    "param": "param",
    "tags": "tag",
    "tag": "tag",
    "attributes": "attribute",
    "attribute": "attribute",
    "attr": "attribute",
}
_COMPARATORS = {"=", "==", "!=", "<>", "<", "<=", ">", ">=", "like", "ilike"}


@dataclass(frozen=True, slots=True)
class Field:
    kind: str  # metric | param | tag | attribute
    name: str

    def __str__(self) -> str:
        return f"{self.kind}s.{self.name}" if self.kind != "attribute" else self.name


def parse_field(text: str) -> Field:
    """``metrics.auc`` -> Field('metric', 'auc'); ``status`` -> Field('attribute', 'status')."""
    if "." in text:
        prefix, name = text.split(".", 1)
        kind = _PREFIXES.get(prefix.lower())
        if kind is None:
            raise InvalidInputError(
                f"unknown field prefix {prefix!r} in {text!r}; use metrics., params., tags. "
                "or an attribute"
            )
        name = name.strip("`")
    else:
        kind, name = "attribute", text
    if kind == "attribute" and name.lower() not in ATTRIBUTES:
        raise InvalidInputError(
            f"unknown run attribute {name!r}; known: {', '.join(sorted(ATTRIBUTES))}"
        )
    return Field(kind, name.lower() if kind == "attribute" else name)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = self._tokenize(text)
        self.pos = 0

    def _tokenize(self, text: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                raise self._error(f"unexpected character {text[pos:].lstrip()[:1]!r}", pos)
            kind = match.lastgroup or ""
            tokens.append((kind, match.group(kind)))
            pos = match.end()
        return tokens

    def _error(self, what: str, pos: int | None = None) -> InvalidInputError:
        return InvalidInputError(
            f"bad run filter {self.text!r}: {what}; example: "
            "\"metrics.auc > 0.8 and params.model = 'rf'\""
        )

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise self._error("it ends too early")
        self.pos += 1
        return token

    def accept_word(self, *words: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].lower() in words:
            self.pos += 1
            return True
        return False

    def expect_op(self, op: str) -> None:
        kind, value = self.take()
        if kind != "op" or value != op:
            raise self._error(f"expected {op!r}, got {value!r}")

    def parse(self) -> ColumnElement[bool]:
        clause = self.expr()
        if self.peek() is not None:
            raise self._error(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return clause

    def expr(self) -> ColumnElement[bool]:
        clauses = [self.term()]
        while self.accept_word("or"):
            clauses.append(self.term())
        return or_(*clauses) if len(clauses) > 1 else clauses[0]

    def term(self) -> ColumnElement[bool]:
        clauses = [self.factor()]
        while self.accept_word("and"):
            clauses.append(self.factor())
        return and_(*clauses) if len(clauses) > 1 else clauses[0]

    def factor(self) -> ColumnElement[bool]:
        token = self.peek()
        if token == ("op", "("):
            self.pos += 1
            clause = self.expr()
            self.expect_op(")")
            return clause
        return self.comparison()

    def comparison(self) -> ColumnElement[bool]:
        kind, text = self.take()
        if kind not in ("field", "word"):
            raise self._error(f"expected a field such as metrics.auc, got {text!r}")
        target = parse_field(text)
        if self.accept_word("is"):
            negate = self.accept_word("not")
            if not self.accept_word("null"):
                raise self._error("expected NULL after IS")
            return compare(target, "is not null" if negate else "is null", None)
        negate = self.accept_word("not")
        if self.accept_word("in"):
            return compare(target, "not in" if negate else "in", self.value_list())
        if negate:
            raise self._error("expected IN after NOT")
        _, op = self.take()
        op = op.lower()
        if op not in _COMPARATORS:
            raise self._error(f"expected a comparison operator after {text}, got {op!r}")
        return compare(target, op, self.value())

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "num":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        raise self._error(f"expected a number or a quoted string, got {text!r}")

    def value_list(self) -> list[Any]:
        self.expect_op("(")
        values = [self.value()]
        while self.peek() == ("op", ","):
            self.pos += 1
            values.append(self.value())
        self.expect_op(")")
        return values


def _apply(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    match op:
        case "=" | "==":
            return column == value  # type: ignore[no-any-return]
        case "!=" | "<>":
            return column != value  # type: ignore[no-any-return]
        case "<":
            return column < value  # type: ignore[no-any-return]
        case "<=":
            return column <= value  # type: ignore[no-any-return]
        case ">":
            return column > value  # type: ignore[no-any-return]
        case ">=":
            return column >= value  # type: ignore[no-any-return]
        case "like":
            return column.like(value)  # type: ignore[no-any-return]
        case "ilike":
            return column.ilike(value)  # type: ignore[no-any-return]
        case "in":
            return column.in_(value)  # type: ignore[no-any-return]
        case "not in":
            return column.not_in(value)  # type: ignore[no-any-return]
    raise AssertionError(op)


def _attribute_value(name: str, value: Any) -> Any:
    if name in ("start_time", "end_time"):
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value / 1000, UTC)
        try:
            parsed = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"{name} compares with epoch milliseconds or an ISO date, got {value!r}"
            ) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def compare(target: Field, op: str, value: Any) -> ColumnElement[bool]:
    """The SQL clause for one comparison; a missing metric/param/tag never matches."""
    column: Any
    if target.kind == "attribute":
        column = ATTRIBUTES[target.name]
        if op in ("is null", "is not null"):
            return column.is_(None) if op == "is null" else column.is_not(None)  # type: ignore[no-any-return]
        if isinstance(value, list):
            value = [_attribute_value(target.name, v) for v in value]
        else:
            value = _attribute_value(target.name, value)
        return _apply(column, op, value)
    row: Any = {"metric": LatestMetricRow, "param": ParamRow, "tag": TagRow}[target.kind]
    present = exists().where(row.run_id == RunRow.id, row.key == target.name)
    if op == "is null":
        return not_(present)
    if op == "is not null":
        return present
    column = row.value
    values = value if isinstance(value, list) else [value]
    if target.kind == "metric":
        if not all(isinstance(v, int | float) for v in values):
            raise InvalidInputError(f"{target} is numeric; compare it with a number, got {value!r}")
        if op in ("like", "ilike"):
            raise InvalidInputError(f"{op.upper()} does not apply to metric {target}")
    elif all(isinstance(v, int | float) for v in values) and op not in ("like", "ilike"):
        # params.lr > 0.01 compares numerically, as a user means it.
        column = cast(row.value, Float)
    else:
        value = [str(v) for v in values] if isinstance(value, list) else str(value)
    # "id IN (runs whose key matches)" lets the database range-scan the (key, value)
    # index once, instead of probing a correlated EXISTS for every run.
    return RunRow.id.in_(
        select(row.run_id).where(row.key == target.name, _apply(column, op, value))
    )


def parse_filter(text: str | None) -> ColumnElement[bool] | None:
    """The SQL clause for ``text``; None for an empty filter.

    Raises:
        InvalidInputError: the filter does not follow the grammar above.
    """
    if text is None or not text.strip():
        return None
    return _Parser(text).parse()


__all__ = ["ATTRIBUTES", "Field", "compare", "parse_field", "parse_filter"]
