"""Notes the engine writes in a record's audit trail: stored as a message key with its
parameters, put into words in the reader's language when the trail is read.

A note is written once, by whoever acted, and read by anyone in any language, so it
keeps no words of its own: ``{"key": <MESSAGES key>, "params": {...}}`` in the audit
row's ``note`` text column. A parameter is a value shown as it is (an id, a person's
comment), a definition named by its names (its label is looked up in the catalog
when read, so a renamed label shows too), or another note (a state word, a labelled
part). Notes people write (a transfer's note, a release reason) and the plain texts
older rows hold are shown as they were written.
"""

from __future__ import annotations

import json
from typing import Any

from ..compile.compiled import Compiled
from ..i18n import MESSAGES

Part = dict[str, Any]

# Only these keys are put into words: a person's note that happens to look like
# ours (a release reason typed as JSON) must not borrow an engine message.
_NOTE_PREFIXES = ("note_", "state_")


def note(key: str, **params: Any) -> Part:
    """A note, or a part of one, to pass as another note's parameter."""
    return {"key": key, "params": params}


def entity(name: str) -> Part:
    """An entity, shown by its label."""
    return {"entity": name}


def approval(name: str, step: str | None = None) -> Part:
    """An approval chain (or one of its steps), shown by its label."""
    return {"approval": name, "step": step} if step else {"approval": name}


def transition(entity_name: str, name: str) -> Part:
    """A workflow transition of ``entity_name``, shown by its label."""
    return {"entity": entity_name, "transition": name}


def record(entity_name: str, record_id: int) -> Part:
    """A record, as "<entity label> #<id>"."""
    return note("note_record", entity=entity(entity_name), id=record_id)


def records(entity_name: str, count: int) -> Part:
    """Several records of an entity, counted."""
    return note("note_records", entity=entity(entity_name), count=count)


def said(what: Part, comment: str | Part | None) -> Part:
    """``what`` happened, with a person's comment (kept verbatim) or a state word."""
    return note("note_said", what=what, comment=comment) if comment \
        else note("note_named", what=what)


def written(key: str, **params: Any) -> str:
    """The note to store in the audit row (the same text for the same note, so a
    reader may look one up by equality)."""
    return stored(note(key, **params))


def stored(part: Part) -> str:
    return json.dumps(part, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def parsed(text: str | None) -> Part | None:
    """The structured note ``text`` holds; None for a plain text (old rows, notes
    people wrote)."""
    if not text or not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not _is_note(value):
        return None
    return value


def read(compiled: Compiled, text: str | None, lang: str) -> str | None:
    """The note as the reader sees it, in ``lang``; a plain text as it is."""
    found = parsed(text)
    if found is None:
        return text
    try:
        return _words(compiled, found, lang)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return text  # not one of ours after all, or a message changed shape: show it raw


def _is_note(value: Any) -> bool:
    return (isinstance(value, dict) and set(value) == {"key", "params"}
            and isinstance(value["key"], str) and value["key"].startswith(_NOTE_PREFIXES)
            and value["key"] in MESSAGES and isinstance(value["params"], dict))


def _words(compiled: Compiled, part: Any, lang: str) -> str:
    if not isinstance(part, dict):
        return "" if part is None else str(part)
    if "key" in part:
        if not _is_note(part):
            raise ValueError(part)
        templates = MESSAGES[part["key"]]
        params = {name: _words(compiled, value, lang)
                  for name, value in part["params"].items()}
        return (templates.get(lang) or templates["en"]).format(**params)
    return _label(compiled, part, lang)


def _label(compiled: Compiled, ref: Part, lang: str) -> str:
    """A definition's label; its name when the definition is gone (a customization
    removed since the note was written)."""
    try:
        if "approval" in ref:
            chain = compiled.approvals[ref["approval"]].definition
            if ref.get("step"):
                step = chain.step(ref["step"])
                return step.label.get(lang) if step is not None else ref["step"]
            return chain.label.get(lang)
        if "transition" in ref:
            workflow = compiled.workflows[ref["entity"]]
            return workflow.transitions[ref["transition"]].definition.label.get(lang)
        return compiled.models[ref["entity"]].entity.label.get(lang)
    except KeyError:
        name = ref.get("step") or ref.get("transition") or ref.get("approval") \
            or ref.get("entity")
        if name is None:
            raise ValueError(ref) from None
        return str(name)
