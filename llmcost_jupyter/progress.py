"""Progress reporting for long counting and pricing runs, in Jupyter and in terminals.

A bar appears only when the work lasts longer than ``AUTO_DELAY_SECONDS``, so short calls
print nothing. The bar is tqdm's (``tqdm.auto``: a widget in Jupyter, text in a terminal)
when tqdm is installed, and otherwise a one-line counter written to standard error, which
both terminals and Jupyter redraw in place on a carriage return.

Callers pass one ``progress`` value through, with these meanings:

- ``None``: show a bar if the work lasts longer than ``AUTO_DELAY_SECONDS``.
- ``True``: show a bar at once. ``False``: show nothing.
- a callable ``f(done, total)``: called after each step instead of drawing a bar. An
  exception it raises, ``KeyboardInterrupt`` included, propagates to the caller's loop.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO, Union

__all__ = [
    "AUTO_DELAY_SECONDS",
    "ProgressCallback",
    "ProgressOption",
    "ProgressReporter",
    "progress_reporter",
]

#: Seconds of work after which an automatic bar appears.
AUTO_DELAY_SECONDS = 1.5

#: Minimum seconds between two redraws of the text fallback.
_REDRAW_INTERVAL_SECONDS = 0.2

ProgressCallback = Callable[[int, int], None]
ProgressOption = Union[bool, None, ProgressCallback]


class ProgressReporter:
    """Receives the number of units done so far. The base class reports nothing."""

    def update(self, done: int) -> None:
        """Report that ``done`` units of the total are finished."""

    def close(self) -> None:
        """Finish the report: the bar stays visible with its last count."""

    def __enter__(self) -> ProgressReporter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _CallbackReporter(ProgressReporter):
    def __init__(self, callback: ProgressCallback, total: int) -> None:
        self._callback = callback
        self._total = total

    def update(self, done: int) -> None:
        self._callback(done, self._total)


class _TqdmReporter(ProgressReporter):
    def __init__(self, total: int, description: str, unit: str, delay: float) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(total=total, desc=description, unit=f" {unit}", delay=delay,
                         unit_scale=False, dynamic_ncols=True)

    def update(self, done: int) -> None:
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        self._bar.close()


class _TextReporter(ProgressReporter):
    """A counter line such as ``Counting tokens: 120,000 of 200,000 rows (60%)``."""

    def __init__(
        self, total: int, description: str, unit: str, delay: float, stream: TextIO | None
    ) -> None:
        self._total = total
        self._description = description
        self._unit = unit
        self._stream = stream if stream is not None else sys.stderr
        self._start = time.monotonic()
        self._show_after = self._start + delay
        self._last_draw = 0.0
        self._done = 0
        self._drawn = False

    def update(self, done: int) -> None:
        self._done = done
        now = time.monotonic()
        if now >= self._show_after and now - self._last_draw >= _REDRAW_INTERVAL_SECONDS:
            self._draw()
            self._last_draw = now

    def close(self) -> None:
        if self._drawn:
            self._draw()
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self) -> None:
        share = f" ({self._done * 100 // self._total}%)" if self._total else ""
        self._stream.write(
            f"\r{self._description}: {self._done:,} of {self._total:,} {self._unit}{share}"
        )
        self._stream.flush()
        self._drawn = True


def progress_reporter(
    total: int,
    progress: ProgressOption = None,
    *,
    description: str,
    unit: str = "rows",
    stream: TextIO | None = None,
) -> ProgressReporter:
    """Create the reporter that ``progress`` selects.

    Args:
        total: Number of units the work has, for example rows.
        progress: ``None`` for a bar after ``AUTO_DELAY_SECONDS``, ``True`` for a bar at
            once, ``False`` for none, or a callable ``f(done, total)``.
        description: Label shown before the bar.
        unit: Plural name of one unit, shown after the counts.
        stream: Where the text fallback writes; standard error by default. tqdm's own bar
            ignores it.

    Returns:
        A reporter; use it as a context manager so that the bar is closed on errors too.

    Raises:
        TypeError: If ``progress`` is none of the accepted values.
    """
    if progress is False:
        return ProgressReporter()
    if callable(progress):
        return _CallbackReporter(progress, total)
    if progress is not None and progress is not True:
        raise TypeError(
            f"progress must be None, True, False or a function f(done, total), got {progress!r}"
        )
    delay = 0.0 if progress is True else AUTO_DELAY_SECONDS
    if stream is None and _tqdm_available():
        return _TqdmReporter(total, description, unit, delay)
    return _TextReporter(total, description, unit, delay, stream)


def _tqdm_available() -> bool:
    try:
        import tqdm.auto  # noqa: F401
    except ImportError:
        return False
    return True
