"""A layout condition as a person reads it in a message: the fields it names by their
labels and the option codes it compares with by their option labels, in the
reader's language (``amount >= 1000000.0`` → ``预计金额 >= 1000000.0``,
``stage == 'lost'`` → ``Stage == 'Lost'``). The rest of the text stays as written."""

from __future__ import annotations

from ..compile.models import EntityModel
from ..expressions import ExpressionError
from ..expressions.lexer import tokenize


def condition_in_words(source: str, model: EntityModel, language: str) -> str:
    """``source`` with field names and option codes put in ``language``'s words."""
    try:
        tokens = tokenize(source)
    except ExpressionError:
        return source
    fields = model.entity.fields
    catalog = model.catalog
    named = [fields[t.value] for t in tokens if t.kind == "ident" and t.value in fields]
    options: dict[str, str] = {}
    for f in named:
        optionset = catalog.optionsets.get(f.options) if f.options else None
        for option in optionset.options if optionset else ():
            options.setdefault(option.value, option.label.get(language))
    spans: list[tuple[int, int, str]] = []
    for index, token in enumerate(tokens):
        before = tokens[index - 1].kind if index else ""
        after = tokens[index + 1].kind if index + 1 < len(tokens) else "end"
        if token.kind == "ident" and token.value in fields and before != "." and after != "(":
            label = fields[token.value].label.get(language) or token.value
            spans.append((token.pos, token.pos + len(token.value), label))
        elif token.kind == "string" and token.value in options:
            end = source[:tokens[index + 1].pos].rstrip()
            spans.append((token.pos, len(end), f"'{options[token.value]}'"))
    words = source
    for start, stop, text in reversed(spans):
        words = words[:start] + text + words[stop:]
    return words
