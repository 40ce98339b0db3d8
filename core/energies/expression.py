"""A safe formula parser for energies: tokens → recursive-descent tree → torch closure (no `eval`).

Grammar (usual precedence, `**`/`^` right-associative and binding tighter than unary minus):
    expr  := term (("+" | "-") term)*
    term  := unary (("*" | "/") unary)*
    unary := ("+" | "-") unary | power
    power := atom (("**" | "^") unary)?
    atom  := NUMBER | CONST | VAR | FUNC "(" expr ")" | "(" expr ")"
"""
from __future__ import annotations

import math
import re
from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from core.energies.base import Energy

Node = Callable[[torch.Tensor], "torch.Tensor | float"]

FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "sin": torch.sin, "cos": torch.cos,
    "tan": torch.tan, "tanh": torch.tanh, "sinh": torch.sinh, "cosh": torch.cosh, "abs": torch.abs,
    "softplus": F.softplus, "sigmoid": torch.sigmoid, "atan": torch.atan, "log1p": torch.log1p,
}
CONSTANTS = {"pi": math.pi, "e": math.e}
AXIS_NAMES = ("x", "y", "z")

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_]\w*)|(?P<op>\*\*|[-+*/^(),]))"
)


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    """Split `text` into (kind, value, position) tokens, ending at "end" or at the first bad character."""
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:  # reported when the parser reaches it, so errors come left to right
            where = len(text) - len(text[pos:].lstrip())
            tokens.append(("bad", text[where], where))
            return tokens
        kind = m.lastgroup
        tokens.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    tokens.append(("end", "", len(text)))
    return tokens


def variable_names(dim: int) -> list[str]:
    """Names a formula may use for the coordinates: x, y, z for dim ≤ 3, plus x0 … x{dim−1}."""
    return list(AXIS_NAMES[:dim]) + [f"x{i}" for i in range(dim)]


def _axis_of(name: str) -> int | None:
    if name in AXIS_NAMES:
        return AXIS_NAMES.index(name)
    m = re.fullmatch(r"x(\d+)", name)
    return int(m.group(1)) if m else None


class _Parser:
    def __init__(self, text: str, dim: int | None):
        self.text, self.dim = text, dim
        self.tokens = _tokenize(text)
        self.i = 0
        self.axes_used: set[int] = set()

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self._refuse_bad(tok)
        self.i += 1
        return tok

    def _refuse_bad(self, tok: tuple[str, str, int]) -> None:
        if tok[0] == "bad":
            raise ValueError(f"unexpected character {tok[1]!r} at position {tok[2]} in {self.text!r}")

    def expect(self, value: str) -> None:
        kind, val, pos = self.take()
        if val != value:
            got = "end of formula" if kind == "end" else repr(val)
            raise ValueError(f"expected {value!r} at position {pos}, got {got} in {self.text!r}")

    def parse(self) -> Node:
        if self.peek()[0] == "end":
            raise ValueError("the formula is empty")
        node = self.expr()
        kind, val, pos = self.peek()
        self._refuse_bad(self.peek())
        if kind != "end":
            raise ValueError(f"unexpected token {val!r} at position {pos} in {self.text!r}")
        return node

    def expr(self) -> Node:
        node = self.term()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            node = _binary(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            node = _binary(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            inner = self.unary()
            return inner if op == "+" else (lambda x, f=inner: -f(x))
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.peek()[1] in ("**", "^"):
            self.take()
            return _binary("**", base, self.unary())
        return base

    def atom(self) -> Node:
        kind, val, pos = self.take()
        if kind == "num":
            c = float(val)
            return lambda x: c
        if val == "(":
            node = self.expr()
            self.expect(")")
            return node
        if kind == "name":
            return self.name(val, pos)
        got = "end of formula" if kind == "end" else repr(val)
        raise ValueError(f"expected a number, variable, function or '(' at position {pos}, got {got} in {self.text!r}")

    def name(self, val: str, pos: int) -> Node:
        if val in FUNCTIONS:
            fn = FUNCTIONS[val]
            self.expect("(")
            arg = self.expr()
            self.expect(")")
            return lambda x: fn(torch.as_tensor(arg(x), dtype=x.dtype, device=x.device))
        if val in CONSTANTS:
            c = CONSTANTS[val]
            return lambda x: c
        axis = _axis_of(val)
        if axis is not None and (self.dim is None or axis < self.dim):
            self.axes_used.add(axis)
            return lambda x: x[..., axis]
        allowed_vars = ", ".join(variable_names(self.dim or 3))
        raise ValueError(
            f"unknown name {val!r} at position {pos} in {self.text!r}; allowed variables: {allowed_vars}; "
            f"functions: {', '.join(FUNCTIONS)}; constants: {', '.join(CONSTANTS)}"
        )


def _binary(op: str, left: Node, right: Node) -> Node:
    if op == "+":
        return lambda x: left(x) + right(x)
    if op == "-":
        return lambda x: left(x) - right(x)
    if op == "*":
        return lambda x: left(x) * right(x)
    if op == "/":
        return lambda x: left(x) / right(x)
    return lambda x: _pow(left(x), right(x))


def _pow(a, b):
    if isinstance(a, float) and isinstance(b, float):
        try:
            return a**b if not (a < 0 and not b.is_integer()) else math.nan
        except (OverflowError, ZeroDivisionError):
            return math.inf
    return torch.pow(a, b)


class ExpressionEnergy(Energy):
    """Energy given by a formula in x, y (z …); built by `from_expression`."""

    name = "expression"

    def __init__(self, expression: str, dim: int, bounds: Sequence[Sequence[float]], node: Node):
        super().__init__(dim, bounds, {"expression": expression})
        self.expression = expression
        self._node = node

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.dim:
            raise ValueError(f"expected points of shape (..., {self.dim}), got {tuple(x.shape)}")
        out = self._node(x)
        if not isinstance(out, torch.Tensor):  # a constant formula
            return torch.full(x.shape[:-1], float(out), dtype=x.dtype, device=x.device)
        return out.expand(x.shape[:-1]) if out.shape != x.shape[:-1] else out


def from_expression(
    expression: str, dim: int | None = None, bounds: Sequence[Sequence[float]] | None = None
) -> ExpressionEnergy:
    """Parse `expression` (+ − * / ** ( ), numbers, x y z/x0…, exp log sqrt sin cos tanh abs softplus …).

    `dim` defaults to the highest coordinate used (at least 1); `bounds` to (−3, 3) per axis.
    Raises ValueError naming the bad token for anything else.
    """
    if not isinstance(expression, str):
        raise ValueError(f"expression must be a string, got {type(expression).__name__}")
    if dim is not None and (int(dim) != dim or dim < 1):
        raise ValueError(f"dim must be a positive integer, got {dim!r}")
    parser = _Parser(expression, dim)
    node = parser.parse()
    if dim is None:
        dim = max(parser.axes_used, default=0) + 1
    if bounds is None:
        bounds = [(-3.0, 3.0)] * dim
    energy = ExpressionEnergy(expression, dim, bounds, node)
    probe = energy(torch.zeros(1, dim, dtype=torch.float64))
    if probe.shape != (1,):
        raise ValueError(f"formula {expression!r} does not give one energy per point")
    return energy
