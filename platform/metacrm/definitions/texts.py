"""Where a definition came from, and texts in several languages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LANGUAGES = ("en", "zh")


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}" if self.col else f"{self.file}:{self.line}"
        return self.file


UNKNOWN = Location("<unknown>")


@dataclass(frozen=True)
class Label:
    """A text in several languages; ``get`` falls back to English, then any."""

    texts: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, value: str | Mapping[str, str] | None, fallback: str = "") -> Label:
        if value is None:
            return cls((("en", fallback),)) if fallback else cls(())
        if isinstance(value, str):
            return cls((("en", value),))
        return cls(tuple(sorted(value.items())))

    def get(self, lang: str = "en") -> str:
        texts = dict(self.texts)
        return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")

    def as_dict(self) -> dict[str, str]:
        return dict(self.texts)

    def __bool__(self) -> bool:
        return bool(self.texts)


def humanize(name: str) -> str:
    return name.replace("_", " ").capitalize()


NO_TEXT = Label(())
