"""A small, safe filter language over directory columns, for targeted draws (定向抽查).

Grammar (keywords are lower case; strings in double or single quotes)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | primary
    primary    := "(" expr ")" | column op literal | column ["not"] "in" "[" literals "]"
    op         := "==" | "!=" | "<" | "<=" | ">" | ">="
    literals   := literal ("," literal)*
    literal    := string | number

Examples: ``category == "蜜饯食品"``; ``district in ["临河区", "五原县"] and not risk_class == "A"``;
``points >= 12``. A column is one of the declared columns (the enterprise schema's names,
``risk_class``, and the scenario's ``[sampling] filter_columns``); ordering comparisons
(``<`` ...) need a number and compare the column as numbers (a cell that is not a number
does not match). Strings compare exactly, after stripping spaces from the cell.

The text is read by a tokenizer and a recursive-descent parser into a small tree, which is
evaluated on a table with vectorised pandas operations. Nothing is ever passed to Python's
``eval``; a bad filter raises :class:`FilterError` with the 1-based position in the text.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

OPERATORS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
             ">": operator.gt, ">=": operator.ge}
KEYWORDS = ("and", "or", "not", "in")
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
  | (?P<string>"[^"\n]*"|'[^'\n]*')
  | (?P<op>==|!=|<=|>=|<|>)
  | (?P<punct>[()\[\],])
  | (?P<name>[^\W\d]\w*)
""", re.VERBOSE)


class FilterError(ValueError):
    """A filter that cannot be read: ``message`` at 1-based ``position`` of the text."""

    def __init__(self, message: str, position: int):
        super().__init__(f"{message} (at position {position})")
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Token:
    """One token: its kind, text, value (a literal's) and 1-based position."""

    kind: str
    text: str
    value: object
    position: int


def tokenize(text: str) -> list[Token]:
    """Cut a filter into tokens.

    Parameters
    ----------
    text : str
        The filter.

    Returns
    -------
    list of Token
        The tokens, ending with an ``end`` token.

    Raises
    ------
    FilterError
        At the first character that starts no token (an unclosed quote, ``=``, ``&`` ...).
    """
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            hint = " (strings need a closing quote)" if ch in "\"'" else ""
            if ch == "=":
                hint = " (use == to compare)"
            raise FilterError(f"unexpected {ch!r}{hint}", pos + 1)
        kind = m.lastgroup
        word = m.group()
        if kind == "number":
            out.append(Token("literal", word, float(word), pos + 1))
        elif kind == "string":
            out.append(Token("literal", word, word[1:-1], pos + 1))
        elif kind == "name" and word in KEYWORDS:
            out.append(Token(word, word, None, pos + 1))
        elif kind != "space":
            out.append(Token(kind, word, None, pos + 1))
        pos = m.end()
    out.append(Token("end", "", None, len(text) + 1))
    return out


@dataclass(frozen=True)
class Compare:
    """``column op literal``."""

    column: str
    op: str
    value: object


@dataclass(frozen=True)
class Member:
    """``column in [...]`` (or ``not in``)."""

    column: str
    values: tuple
    negate: bool


@dataclass(frozen=True)
class Logic:
    """``and`` / ``or`` of two parts, or ``not`` of one (``right`` is None)."""

    op: str
    left: object
    right: object = None


class _Parser:
    def __init__(self, text: str, columns: frozenset[str]):
        self.tokens = tokenize(text)
        self.k = 0
        self.columns = columns

    @property
    def tok(self) -> Token:
        return self.tokens[self.k]

    def take(self, kind: str, what: str) -> Token:
        tok = self.tok
        if tok.kind != kind and not (kind == "punct" and tok.text == what):
            found = "the end of the filter" if tok.kind == "end" else repr(tok.text)
            raise FilterError(f"expected {what}, found {found}", tok.position)
        self.k += 1
        return tok

    def parse(self):
        if self.tok.kind == "end":
            raise FilterError("the filter is empty", 1)
        node = self.expr()
        if self.tok.kind != "end":
            raise FilterError(f"expected and, or or the end, found {self.tok.text!r}",
                              self.tok.position)
        return node

    def expr(self):
        node = self.and_expr()
        while self.tok.kind == "or":
            self.k += 1
            node = Logic("or", node, self.and_expr())
        return node

    def and_expr(self):
        node = self.not_expr()
        while self.tok.kind == "and":
            self.k += 1
            node = Logic("and", node, self.not_expr())
        return node

    def not_expr(self):
        if self.tok.kind == "not":
            self.k += 1
            return Logic("not", self.not_expr())
        return self.primary()

    def primary(self):
        if self.tok.kind == "punct" and self.tok.text == "(":
            self.k += 1
            node = self.expr()
            self.take("punct", ")")
            return node
        name = self.take("name", "a column name")
        if name.text not in self.columns:
            raise FilterError(f"unknown column {name.text!r}; the columns are "
                              f"{', '.join(sorted(self.columns))}", name.position)
        if self.tok.kind == "op":
            op = self.tok
            self.k += 1
            value = self.take("literal", "a string or a number after " + op.text)
            if op.text not in ("==", "!=") and not isinstance(value.value, float):
                raise FilterError(f"{op.text} compares numbers; {value.text} is a string",
                                  value.position)
            return Compare(name.text, op.text, value.value)
        negate = False
        if self.tok.kind == "not":
            negate = True
            self.k += 1
        self.take("in", "a comparison (==, !=, <, <=, >, >=) or in")
        self.take("punct", "[")
        values = [self.take("literal", "a string or a number").value]
        while self.tok.kind == "punct" and self.tok.text == ",":
            self.k += 1
            values.append(self.take("literal", "a string or a number").value)
        self.take("punct", "]")
        return Member(name.text, tuple(values), negate)


def parse_filter(text: str, columns) -> object:
    """Parse a filter into its tree.

    Parameters
    ----------
    text : str
        The filter.
    columns : iterable of str
        The column names it may use.

    Returns
    -------
    object
        The tree (:class:`Compare`, :class:`Member`, :class:`Logic`).

    Raises
    ------
    FilterError
        With the position of the first fault.
    """
    return _Parser(str(text), frozenset(columns)).parse()


def evaluate(tree, frame: pd.DataFrame) -> np.ndarray:
    """Return a mask of the rows of ``frame`` the filter matches.

    Parameters
    ----------
    tree : object
        From :func:`parse_filter`.
    frame : pandas.DataFrame
        A table with every column the filter names.

    Returns
    -------
    numpy.ndarray of bool
        One flag per row.
    """
    if isinstance(tree, Logic):
        left = evaluate(tree.left, frame)
        if tree.op == "not":
            return ~left
        right = evaluate(tree.right, frame)
        return (left & right) if tree.op == "and" else (left | right)
    column = frame[tree.column]
    if isinstance(tree, Compare):
        if isinstance(tree.value, float):
            numbers = pd.to_numeric(column.astype(str).str.strip(), errors="coerce")
            hit = OPERATORS[tree.op](numbers, tree.value).to_numpy(dtype=bool)
            if tree.op == "!=":
                hit = hit & numbers.notna().to_numpy()
            return hit
        text = column.fillna("").astype(str).str.strip()
        return OPERATORS[tree.op](text, tree.value).to_numpy(dtype=bool)
    if all(isinstance(v, float) for v in tree.values):
        numbers = pd.to_numeric(column.astype(str).str.strip(), errors="coerce")
        hit = numbers.isin(list(tree.values)).to_numpy(dtype=bool)
        present = numbers.notna().to_numpy()
    else:
        text = column.fillna("").astype(str).str.strip()
        hit = text.isin([_text(v) for v in tree.values]).to_numpy(dtype=bool)
        present = np.ones(len(frame), dtype=bool)
    return (present & ~hit) if tree.negate else hit


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
