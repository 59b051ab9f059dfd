"""YAML syntax errors in plain words, at the line to fix.

The parser reports where it gave up, in its grammar's words ("expected <block
end>, but found '<block mapping start>'"), and often a line after the mistake:
a ``{`` left open is found out on the next line, a key without its ``:`` when
the next key comes. These are the mistakes people make; each is said with what
to do, at the line that needs the change. Anything else keeps the parser's words.
"""

from __future__ import annotations

import yaml

_CLOSERS = {"flow mapping": ("{", "}"), "flow sequence": ("[", "]")}


def explain_syntax_error(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, int, str]:
    """(line, column, message) of a syntax error, 1-based."""
    problem = exc.problem or str(exc)
    mark, context = exc.problem_mark, exc.context
    lines = text.splitlines()
    line = mark.line + 1 if mark else 1
    col = mark.column + 1 if mark else 1
    said = f"YAML syntax error: {problem}"
    if mark is None:
        return line, col, said
    current = lines[mark.line] if mark.line < len(lines) else ""
    if problem.startswith("found character '\\t'"):
        return line, col, ("YAML syntax error: a tab indents this line; YAML indents with "
                           "spaces only")
    if problem.startswith("expected <block end>") and exc.context_mark is not None:
        return line, col, said_with(_indentation(lines, mark.line, exc.context_mark.line,
                                                 current[mark.column:]))
    if problem == "could not find expected ':'" and exc.context_mark is not None:
        return exc.context_mark.line + 1, exc.context_mark.column + 1, (
            "YAML syntax error: this line has no ':' after its key (write 'key: value'); a "
            "line inside a mapping is a key, or a list item starting with '- '")
    if exc.context_mark is not None and context and context.startswith("while parsing a flow "):
        opener, closer = _CLOSERS.get(context.removeprefix("while parsing a "), ("", ""))
        if opener:
            where = "on the same line" if context_line(exc) == line else f"on line {line}"
            found = problem.rsplit("but got ", 1)[-1] if "but got" in problem else "something"
            return context_line(exc), exc.context_mark.column + 1, (
                f"YAML syntax error: the '{opener}' opened here is not closed: end it with "
                f"'{closer}' (the parser read on and found {found} {where})")
    if problem.startswith("mapping values are not allowed"):
        return line, col, ("YAML syntax error: a ':' here would start a key inside a value: "
                           "indent this line like the keys of its mapping, or, if the ':' "
                           "belongs to a text, put the text in quotes")
    return line, col, said


def context_line(exc: yaml.MarkedYAMLError) -> int:
    return exc.context_mark.line + 1 if exc.context_mark else 1


def said_with(text: str) -> str:
    return f"YAML syntax error: {text}"


def _indentation(lines: list[str], bad: int, start: int, rest: str) -> str:
    """A line indented to no open level: the levels it could take, with their lines."""
    indent = len(lines[bad]) - len(lines[bad].lstrip(" "))
    item = rest.startswith("-")
    what = "this list item" if item else "this line"
    levels: list[tuple[int, int, str]] = []  # (indent, line number, its first word)
    for number in range(bad - 1, start - 1, -1):
        text = lines[number]
        stripped = text.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        level = len(text) - len(stripped)
        word = stripped.lstrip("- ").split(":", 1)[0].strip()
        if stripped.startswith("- ") and not item:
            # A key belongs with the keys of the item's mapping, after its "- ".
            level += len(stripped) - len(stripped[1:].lstrip(" "))
        if not levels or level < levels[-1][0]:
            levels.append((level, number + 1, word))
    options = [f"{_spaces(level)} like '{word}' on line {number}"
               for level, number, word in levels if level != indent]
    choice = "; or ".join(options[:3]) if options else "like the lines above it"
    return (f"{what} is indented {_spaces(indent)}, which lines it up with nothing above it: "
            f"indent it {choice} (the keys of one mapping, and the items of one list, start "
            "in the same column)")


def _spaces(count: int) -> str:
    return "1 space" if count == 1 else f"{count} spaces"
