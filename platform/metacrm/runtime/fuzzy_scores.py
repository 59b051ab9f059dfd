"""Score a batch's names against their blocks at once, for the batch duplicate check
(duplicate_batches.py): one ``rapidfuzz.process.cdist`` per block for the rows
against the database's block, and one for the block's rows against each other,
instead of a ``process.extract`` per row.

A row is compared with up to MAX_BLOCK stored names; asked row by row, rapidfuzz's
own work is a small part of each call (its arguments converted, a result list built
per call), about 140 µs a row for a full block; a matrix of the whole batch costs a
third of that, in C, and the hits are read out of it with numpy. The scores are
rapidfuzz's ``fuzz.ratio`` as the one-record check computes them (float64, so that
rounding to the threshold gives the same answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class BlockScores:
    """The scores of one fuzzy rule's rows, by row index: against the database's keys
    of the row's block, and against the earlier rows of the same block."""

    def __init__(self, keys: Sequence[tuple[str, str | None]],
                 block_keys: Sequence[Sequence[str]], threshold: int):
        """``keys``: each row's (match key, block); ``block_keys``: each row's block's
        stored keys (the same list object for rows looked up together)."""
        # (imported here: a web worker that never checks a batch does not load numpy)
        import numpy as np
        from rapidfuzz import fuzz, process

        self._np = np
        self.threshold = threshold
        self.cutoff = max(0.0, threshold - 0.5)
        self._place: list[int] = [0] * len(keys)  # a row's place among its block's rows
        self._stored: list[Any] = [None] * len(keys)  # its row of scores against the db
        self._own: dict[str, Any] = {}  # by block: its rows against each other
        self._taken: dict[str, Any] = {}  # by block: the rows let in so far (a mask)
        by_block: dict[str, list[int]] = {}
        by_stored: dict[tuple[str, int], list[int]] = {}
        for index, (_, block) in enumerate(keys):
            if block is None:
                continue
            rows = by_block.setdefault(block, [])
            self._place[index] = len(rows)
            rows.append(index)
            by_stored.setdefault((block, id(block_keys[index])), []).append(index)

        def matrix(queries: list[str], choices: Sequence[str]) -> Any:
            return process.cdist(queries, choices, scorer=fuzz.ratio, dtype=np.float64,
                                 score_cutoff=self.cutoff)

        for block, rows in by_block.items():
            names = [keys[i][0] for i in rows]
            self._own[block] = matrix(names, names)
            self._taken[block] = np.zeros(len(rows), dtype=bool)
        for rows in by_stored.values():
            stored = block_keys[rows[0]]
            if not stored:
                continue
            scores = matrix([keys[i][0] for i in rows], stored)
            for at, index in enumerate(rows):
                self._stored[index] = scores[at]

    def scored(self, index: int, block: str, room: int) -> list[tuple[float, int]]:
        """The (score, position) of every key that scores the threshold once rounded:
        the database's block at their positions, then the first ``room`` earlier rows
        let in (``take``) after them, best first and by position, as one
        ``process.extract`` over both lists in a row ranks them."""
        np = self._np
        found: list[tuple[float, int]] = []
        stored = self._stored[index]
        after = 0
        if stored is not None:
            after = len(stored)
            found = [(score, int(at)) for at in np.flatnonzero(stored >= self.cutoff)
                     if round(score := float(stored[at])) >= self.threshold]
        if room:
            place = self._place[index]
            earlier = np.flatnonzero(self._taken[block][:place])[:room]
            if len(earlier):
                scores = self._own[block][place, earlier]
                found += [(score, after + int(rank))
                          for rank in np.flatnonzero(scores >= self.cutoff)
                          if round(score := float(scores[rank])) >= self.threshold]
        found.sort(key=lambda hit: (-hit[0], hit[1]))
        return found

    def take(self, index: int, block: str) -> None:
        """Row ``index`` is let in: later rows of its block compare with it."""
        self._taken[block][self._place[index]] = True
