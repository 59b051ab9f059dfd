"""What can go wrong with an expression: its text, its types, or one evaluation."""

from __future__ import annotations


class ExpressionError(ValueError):
    """An expression does not parse, names something unknown, or mixes types.

    ``pos`` is the offset in the expression's text where the problem is, when known.
    """

    def __init__(self, message: str, pos: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos

    def located(self) -> str:
        """The message with its column (1-based)."""
        if self.pos is None:
            return self.message
        return f"{self.message} (at column {self.pos + 1})"


class EvaluationError(ExpressionError):
    """One evaluation failed: division by zero, an overflow, a value out of range."""


class EmptyValue(EvaluationError):
    """An operation needed a value and met an empty field (null): a formula is then
    empty and a rule or condition does not apply."""


class CostExceeded(EvaluationError):
    """The evaluation took more steps than an expression may."""
