"""Import batches: one file's rows land all or none, merged into what the store holds, undoable.

A batch upserts rows into one or more canonical tables in one transaction. A row whose key the
store holds keeps every column the batch does not carry (a followers file does not erase the
impressions a content file loaded). Before it writes, a batch records each row it changes as it
was (or that it was absent), so `undo` can restore the store exactly, all or nothing. Every batch
is a run in the run log (kind 'import'); its run id is the batch id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import polars as pl

from socialroi.store import Store

#: progress(done, total) while writing: rows written so far of the rows to write.
WriteProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class TableCounts:
    table: str
    rows_read: int
    rows_new: int
    rows_updated: int
    rows_unchanged: int


@dataclass(frozen=True)
class BatchResult:
    #: The run id ('' for a dry run, which writes nothing).
    batch_id: str
    tables: tuple[TableCounts, ...]

    @property
    def rows_written(self) -> int:
        return sum(t.rows_new + t.rows_updated for t in self.tables)


def load_batch(
    store: Store,
    frames: Mapping[str, pl.DataFrame],
    *,
    target: str,
    dry_run: bool = False,
    progress: WriteProgress | None = None,
) -> BatchResult:
    """Merge `frames` (table -> rows with the key and the columns the file provides) into the store.

    `target` is the run log's target ("hubspot-contacts contacts.csv"). A dry run computes the
    same counts and writes nothing, not even a run log row.
    """
    raise NotImplementedError


def batches(store: Store) -> pl.DataFrame:
    """Every import batch, newest first: batch_id, started_at, target, status, rows, undone_at."""
    raise NotImplementedError


def undo(store: Store, batch_id: str) -> BatchResult:
    """Restore every row batch `batch_id` changed to what it was before, in one transaction.

    Refused (DataError, nothing changed) when the batch is unknown, already undone, or when a
    later batch or pull changed one of its rows since (undo that one first). Logged as a run of
    kind 'undo'. `batch_id` may be a unique prefix of the id.
    """
    raise NotImplementedError
