"""Split an expression's text into tokens, each with its offset in the text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .errors import ExpressionError

# Words CEL keeps for itself: an identifier spelt like one is a syntax error there too.
RESERVED = frozenset({
    "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
    "loop", "package", "namespace", "return", "var", "void", "while",
})
PUNCTUATION = ("==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "%", "!",
               "?", ":", ".", ",", "(", ")", "[", "]", "{", "}")

_SPACE = re.compile(r"(?:[ \t\r\n\f]+|//[^\n]*)+")
_IDENT = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_NUMBER = re.compile(
    r"0[xX][0-9a-fA-F]+[uU]?"                       # hexadecimal integers
    r"|(?:[0-9]+\.[0-9]+|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"  # decimals with a point
    r"|[0-9]+[eE][+-]?[0-9]+"                       # decimals with only an exponent
    r"|[0-9]+[uU]?")                                 # integers
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            "\\": "\\", "'": "'", '"': '"', "`": "`", "?": "?"}
MAX_NUMBER_DIGITS = 40


@dataclass(frozen=True)
class Token:
    kind: str       # "int", "decimal", "string", "ident", "end" or the punctuation
    value: Any
    pos: int


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    pos, end = 0, len(source)
    while True:
        space = _SPACE.match(source, pos)
        if space:
            pos = space.end()
        if pos >= end:
            tokens.append(Token("end", None, pos))
            return tokens
        char = source[pos]
        if char.isdigit() or (char == "." and source[pos + 1:pos + 2].isdigit()):
            pos = _number(source, pos, tokens)
        elif char in "'\"" or (char in "rRbB" and _string_start(source, pos)):
            pos = _string(source, pos, tokens)
        elif _IDENT.match(source, pos):
            word = _IDENT.match(source, pos).group()  # type: ignore[union-attr]
            if word in RESERVED:
                raise ExpressionError(f"'{word}' is a reserved word", pos)
            tokens.append(Token("ident", word, pos))
            pos += len(word)
        else:
            for mark in PUNCTUATION:
                if source.startswith(mark, pos):
                    tokens.append(Token(mark, mark, pos))
                    pos += len(mark)
                    break
            else:
                raise ExpressionError(f"unexpected character {char!r}", pos)


def _number(source: str, pos: int, tokens: list[Token]) -> int:
    match = _NUMBER.match(source, pos)
    assert match is not None
    text = match.group()
    if len(text) > MAX_NUMBER_DIGITS:
        raise ExpressionError(f"number literal longer than {MAX_NUMBER_DIGITS} characters", pos)
    if text[-1] in "uU":
        raise ExpressionError(f"unsigned integers ({text}) are not supported: write "
                              f"{text[:-1]}", pos)
    if text[:2] in ("0x", "0X"):
        tokens.append(Token("int", int(text, 16), pos))
    elif any(c in text for c in ".eE"):
        tokens.append(Token("decimal", Fraction(text), pos))
    else:
        tokens.append(Token("int", int(text), pos))
    return match.end()


def _string_start(source: str, pos: int) -> bool:
    prefix = re.match(r"[rRbB]{1,2}", source[pos:pos + 2])
    if prefix is None or len(set(prefix.group().lower())) != len(prefix.group()):
        return False
    return source[pos + len(prefix.group()):pos + len(prefix.group()) + 1] in ("'", '"')


def _string(source: str, start: int, tokens: list[Token]) -> int:
    pos = start
    prefix = ""
    while source[pos] in "rRbB":
        prefix += source[pos].lower()
        pos += 1
    if "b" in prefix:
        raise ExpressionError("bytes literals are not supported", start)
    raw = "r" in prefix
    quote = source[pos:pos + 3] if source[pos:pos + 3] in ("'''", '"""') else source[pos]
    pos += len(quote)
    parts: list[str] = []
    while True:
        if pos >= len(source):
            raise ExpressionError("string is not closed", start)
        if source.startswith(quote, pos):
            pos += len(quote)
            break
        char = source[pos]
        if char == "\n" and len(quote) == 1:
            raise ExpressionError("string is not closed before the end of the line", start)
        if char == "\\" and not raw:
            text, pos = _escape(source, pos)
            parts.append(text)
            continue
        parts.append(char)
        pos += 1
    tokens.append(Token("string", "".join(parts), start))
    return pos


def _escape(source: str, pos: int) -> tuple[str, int]:
    code = source[pos + 1:pos + 2]
    if code in _ESCAPES:
        return _ESCAPES[code], pos + 2
    widths = {"x": 2, "X": 2, "u": 4, "U": 8}
    if code in widths:
        digits = source[pos + 2:pos + 2 + widths[code]]
        if len(digits) == widths[code] and re.fullmatch(r"[0-9a-fA-F]+", digits):
            value = int(digits, 16)
            if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF:
                return chr(value), pos + 2 + widths[code]
    if re.fullmatch(r"[0-3][0-7][0-7]", source[pos + 1:pos + 4]):
        return chr(int(source[pos + 1:pos + 4], 8)), pos + 4
    raise ExpressionError(f"invalid escape sequence '\\{code}'", pos)
