"""Parse an expression's tokens into its syntax tree (CEL's grammar, by recursive descent).

The text and the nesting are bounded, so that parsing an administrator's
expression costs little whatever they typed.
"""

from __future__ import annotations

from .errors import ExpressionError
from .lexer import Token, tokenize
from .syntax import (
    Binary,
    Call,
    Comprehension,
    Conditional,
    Has,
    Ident,
    Index,
    ListLit,
    Literal,
    Logical,
    MapLit,
    Node,
    Select,
    Unary,
)

MAX_SOURCE_LENGTH = 4000
MAX_DEPTH = 50
MAX_INT = 2**63 - 1
# Functions called as ``ns.name(...)``: the namespace is not a variable.
NAMESPACES = frozenset({"math"})
_MACROS = {"all": (2,), "exists": (2,), "exists_one": (2,), "filter": (2,), "map": (2, 3)}
_RELATIONS = ("==", "!=", "<", "<=", ">", ">=")


def parse(source: str) -> Node:
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_SOURCE_LENGTH} characters")
    parser = _Parser(tokenize(source))
    node = parser.expression()
    token = parser.peek()
    if token.kind != "end":
        raise ExpressionError(f"unexpected {_describe(token)}", token.pos)
    return node


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "end of expression"
    if token.kind in ("ident", "int", "decimal"):
        return f"'{token.value}'"
    if token.kind == "string":
        return "string"
    return f"'{token.kind}'"


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.at = 0
        self.depth = 0

    # --- tokens -------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.at += 1
        return token

    def accept(self, kind: str) -> Token | None:
        return self.take() if self.peek().kind == kind else None

    def expect(self, kind: str, what: str) -> Token:
        token = self.peek()
        if token.kind != kind:
            raise ExpressionError(f"expected {what}, found {_describe(token)}", token.pos)
        return self.take()

    def deeper(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested more than {MAX_DEPTH} levels deep", pos)

    # --- grammar, loosest binding first ---------------------------------------------

    def expression(self) -> Node:
        self.deeper(self.peek().pos)
        condition = self.logical("||")
        question = self.accept("?")
        if question is None:
            self.depth -= 1
            return condition
        then = self.logical("||")
        self.expect(":", "':' of the conditional")
        otherwise = self.expression()
        self.depth -= 1
        return Conditional(question.pos, condition, then, otherwise)

    def logical(self, op: str) -> Node:
        operand = (lambda: self.logical("&&")) if op == "||" else self.relation
        node = operand()
        while (token := self.accept(op)) is not None:
            node = Logical(token.pos, op, node, operand())
        return node

    def relation(self) -> Node:
        node = self.addition()
        while self.peek().kind in _RELATIONS or (
                self.peek().kind == "ident" and self.peek().value == "in"):
            token = self.take()
            op = "in" if token.kind == "ident" else token.kind
            node = Binary(token.pos, op, node, self.addition())
        return node

    def addition(self) -> Node:
        node = self.multiplication()
        while self.peek().kind in ("+", "-"):
            token = self.take()
            node = Binary(token.pos, token.kind, node, self.multiplication())
        return node

    def multiplication(self) -> Node:
        node = self.unary()
        while self.peek().kind in ("*", "/", "%"):
            token = self.take()
            node = Binary(token.pos, token.kind, node, self.unary())
        return node

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "!":
            self.take()
            self.deeper(token.pos)
            node: Node = Unary(token.pos, "!", self.unary())
            self.depth -= 1
            return node
        if token.kind == "-":
            self.take()
            following = self.peek()
            if following.kind in ("int", "decimal") and self.peek(1).kind not in (".", "["):
                self.take()
                return self.number(following, negative=True, pos=token.pos)
            self.deeper(token.pos)
            node = Unary(token.pos, "-", self.unary())
            self.depth -= 1
            return node
        return self.member()

    def member(self) -> Node:
        node = self.primary()
        while True:
            token = self.peek()
            if token.kind == ".":
                self.take()
                name = self.expect("ident", "a field or method name after '.'")
                if self.accept("("):
                    node = self.method(node, name)
                else:
                    node = Select(name.pos, node, name.value)
            elif token.kind == "[":
                self.take()
                index = self.expression()
                self.expect("]", "']'")
                node = Index(token.pos, node, index)
            else:
                return node

    def method(self, target: Node, name: Token) -> Node:
        args = self.arguments(")")
        function = name.value
        if function in _MACROS and len(args) in _MACROS[function]:
            variable = args[0]
            if not isinstance(variable, Ident):
                raise ExpressionError(f"the first argument of {function}() must be a simple "
                                      "name for each element", variable.pos)
            if function == "map":
                predicate = args[1] if len(args) == 3 else None
                return Comprehension(name.pos, "map", target, variable.name, predicate, args[-1])
            return Comprehension(name.pos, function, target, variable.name, args[1], None)
        if isinstance(target, Ident) and target.name in NAMESPACES:
            return Call(target.pos, f"{target.name}.{function}", None, args)
        return Call(name.pos, function, target, args)

    def arguments(self, closing: str) -> tuple[Node, ...]:
        args: list[Node] = []
        while self.accept(closing) is None:
            if args:
                self.expect(",", f"',' or '{closing}'")
                if self.accept(closing):  # a trailing comma
                    break
            args.append(self.expression())
        return tuple(args)

    def primary(self) -> Node:
        token = self.take()
        kind = token.kind
        if kind in ("int", "decimal"):
            return self.number(token, negative=False, pos=token.pos)
        if kind == "string":
            return Literal(token.pos, token.value)
        if kind == "ident":
            return self.identifier(token)
        if kind == "(":
            node = self.expression()
            self.expect(")", "')'")
            return node
        if kind == "[":
            self.deeper(token.pos)
            items = self.arguments("]")
            self.depth -= 1
            return ListLit(token.pos, items)
        if kind == "{":
            self.deeper(token.pos)
            node = self.map_literal(token)
            self.depth -= 1
            return node
        if kind == ".":
            raise ExpressionError("a leading '.' (qualified names) is not supported", token.pos)
        raise ExpressionError(f"unexpected {_describe(token)}", token.pos)

    def identifier(self, token: Token) -> Node:
        name = token.value
        if name in ("true", "false"):
            return Literal(token.pos, name == "true")
        if name == "null":
            return Literal(token.pos, None)
        if name == "in":
            raise ExpressionError("unexpected 'in'", token.pos)
        if self.accept("("):
            args = self.arguments(")")
            if name == "has":
                if len(args) != 1 or not isinstance(args[0], Select):
                    raise ExpressionError("has() takes one field selection, as in "
                                          "has(details.city)", token.pos)
                return Has(token.pos, args[0].operand, args[0].field)
            return Call(token.pos, name, None, args)
        return Ident(token.pos, name)

    def map_literal(self, opening: Token) -> Node:
        entries: list[tuple[Node, Node]] = []
        while self.accept("}") is None:
            if entries:
                self.expect(",", "',' or '}'")
                if self.accept("}"):
                    break
            key = self.expression()
            self.expect(":", "':' after a map key")
            entries.append((key, self.expression()))
        return MapLit(opening.pos, tuple(entries))

    def number(self, token: Token, *, negative: bool, pos: int) -> Node:
        value = -token.value if negative else token.value
        if token.kind == "int" and not -MAX_INT - 1 <= value <= MAX_INT:
            raise ExpressionError("integer literal out of range (64 bits)", pos)
        return Literal(pos, value)
