"""The monthly run: pull → report → export for the previous month, made for cron.

`run_monthly(settings, store_path=..., out=..., as_of=...)` is what `socialroi run-monthly` calls:

* a lock file beside the store makes a second run fail at once (never two runs overlapping);
* every step is idempotent: pulls upsert by key and move cursors only after commit, and the
  month's report and exports are written atomically into ``OUT/YYYY-MM/``, replacing the last run's;
* a log file (``OUT/run-monthly.log`` by default) records each step with its time and outcome;
* a failed pull does not stop the report: it is built from what the store holds, and the run
  ends with the pull's exit code (3 for a failure, 4 for a partial pull) so cron reports it;
* the report and the exports come from one analysis, made as of the end of the month reported
  (a month with no data at all stops the run with a DataError, exit 1).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from socialroi.config import Settings
from socialroi.errors import SocialROIError, StoreLocked

if TYPE_CHECKING:
    from socialroi.reports.export import ExportFormat

log = logging.getLogger("socialroi.monthly")

LOG_NAME = "run-monthly.log"


@dataclass
class MonthlyResult:
    """What one monthly run did."""

    month: str
    report: Path | None = None
    exports: list[Path] = field(default_factory=list)
    pulled_rows: int = 0
    #: The pull's error, when it failed or only partly succeeded (the report still ran).
    pull_error: SocialROIError | None = None
    pull_skipped: str | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.pull_error is None else self.pull_error.exit_code


def previous_month(as_of: datetime) -> str:
    """'YYYY-MM' of the calendar month before `as_of`'s."""
    year, month = (as_of.year, as_of.month - 1) if as_of.month > 1 else (as_of.year - 1, 12)
    return f"{year:04d}-{month:02d}"


@contextlib.contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking lock on `path` for the duration; StoreLocked if taken.

    The operating system releases the lock when the process ends, so a killed run never leaves
    a stale lock behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreLocked(
                f"another run-monthly holds {path}; it ends on its own — try again later"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _logging_to(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("socialroi")
    level = root.level
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def run_monthly(
    settings: Settings,
    *,
    store_path: Path,
    out: Path,
    as_of: datetime,
    pull: bool = True,
    platforms: Sequence[str] | None = None,
    formats: Sequence[ExportFormat] = ("csv", "xlsx"),
    log_file: Path | None = None,
    month: str | None = None,
) -> MonthlyResult:
    """Pull, then write the report and exports for `month` (default: the month before `as_of`,
    the time of the run, which the pull also uses); the analysis stands at the month's end.

    Raises StoreLocked when another monthly run is going on; any other library error from the
    report or export steps propagates after being logged. Pull failures are kept in the result.
    """
    month = month or previous_month(as_of)
    result = MonthlyResult(month=month)
    lock = store_path.with_name(store_path.name + ".run-monthly.lock")
    with run_lock(lock), _logging_to(log_file or out / LOG_NAME):
        log.info("run-monthly %s started (store %s)", month, store_path)
        try:
            _pull_step(
                settings,
                store_path=store_path,
                as_of=as_of,
                pull=pull,
                platforms=platforms,
                result=result,
            )
            _report_step(
                settings,
                store_path=store_path,
                folder=out / month,
                formats=formats,
                result=result,
            )
        except SocialROIError as exc:
            log.error("run-monthly %s failed: %s", month, exc)  # noqa: TRY400 - one line, no traceback
            raise
        log.info(
            "run-monthly %s finished: exit %d, %d rows pulled, report %s, %d export file(s)",
            month,
            result.exit_code,
            result.pulled_rows,
            result.report,
            len(result.exports),
        )
    return result


def _pull_step(
    settings: Settings,
    *,
    store_path: Path,
    as_of: datetime,
    pull: bool,
    platforms: Sequence[str] | None,
    result: MonthlyResult,
) -> None:
    if not pull:
        result.pull_skipped = "--no-pull"
    elif not platforms and not settings.platforms():
        result.pull_skipped = "no [platforms.*] in the config"
    if result.pull_skipped:
        log.info("pull skipped: %s", result.pull_skipped)
        return
    from socialroi.adapters.sync import PullPartial
    from socialroi.adapters.sync import pull as pull_all
    from socialroi.store import Store

    with Store.open(store_path) as store:
        try:
            pulled = pull_all(store, settings, platforms=platforms, as_of=as_of)
        except PullPartial as exc:
            result.pulled_rows = exc.result.rows
            result.pull_error = exc
            log.warning("pull partly failed: %s", exc)
        except SocialROIError as exc:
            if exc.exit_code == 1:
                raise
            result.pull_error = exc
            log.error("pull failed; the report uses the stored data: %s", exc)  # noqa: TRY400
        else:
            result.pulled_rows = pulled.rows
            log.info("pull committed %d rows", pulled.rows)


def month_end(month: str) -> datetime:
    """The last instant of the month 'YYYY-MM' (UTC): the analysis' ``as_of`` for that month."""
    from socialroi.core.months import add_months
    from socialroi.core.pipeline import end_of_day

    first = date(int(month[:4]), int(month[5:7]), 1)
    return end_of_day(add_months(first, 1) - timedelta(days=1))


def _report_step(
    settings: Settings,
    *,
    store_path: Path,
    folder: Path,
    formats: Sequence[ExportFormat],
    result: MonthlyResult,
) -> None:
    from socialroi.analysis import analyze
    from socialroi.policy_file import load_policies
    from socialroi.reports import write_report
    from socialroi.reports.export import write_exports
    from socialroi.store import Store

    options = load_policies(None, settings)
    with Store.open(store_path, read_only=True) as store:
        analysis = analyze(
            store, settings=settings, as_of=month_end(result.month), period=result.month
        )
    result.report = write_report(analysis, folder, options=options)
    log.info("report written: %s", result.report)
    for fmt in formats:
        written = write_exports(analysis, folder / "export", fmt)
        result.exports.extend(written)
        log.info("%s export: %d file(s) in %s", fmt, len(written), folder / "export")


__all__ = [
    "LOG_NAME",
    "MonthlyResult",
    "month_end",
    "previous_month",
    "run_lock",
    "run_monthly",
]
