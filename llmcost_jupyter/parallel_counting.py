"""Count many texts for several models at once, on every core for large inputs.

This is the counting engine behind ``bulk.price_frame`` and the ``llmcost`` command. Its counts
equal ``count_tokens`` text by text; only the work is organised differently:

* Each distinct tokenizer is run once per row, however many models share it, and token lists
  are dropped as soon as they are counted. A model without a public tokenizer reuses the count
  of the proxy tokenizer that ``counting`` scales for its estimate.
* Large inputs are counted on every core. On Linux the workers are forked, so they inherit the
  texts and the loaded vocabularies. Elsewhere they are spawned and build the vocabularies
  offline through ``_vocab``. The calling process counts too. Below ``PARALLEL_MIN_CHARS``
  characters everything runs in the calling process, because starting processes would cost
  more than it saves.

``count_texts`` exposes the counting engine on its own, for the ``llmcost`` command.
"""

from __future__ import annotations

import bisect
import itertools
import multiprocessing
import os
import signal
import sys
from array import array
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union, overload

from . import counting
from .counting import TokenCount
from .progress import ProgressOption, progress_reporter
from .report import InvalidRequestError
from .tokenizers import LONG_WHITESPACE_RUN, TiktokenTokenizer, normalize_text

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from .tokenizers import Tokenizer

__all__ = [
    "MAX_CHUNK_CHARS",
    "MIN_CHUNK_CHARS",
    "PARALLEL_MIN_CHARS",
    "SPAWN_PARALLEL_MIN_CHARS",
    "CharacterCounter",
    "ChunkCounts",
    "CountPlan",
    "TokenCounts",
    "WorkerProcessError",
    "count_slice",
    "count_texts",
    "default_workers",
    "iter_chunk_counts",
    "plan_counts",
]


#: Total characters from which forked worker processes count in parallel. Below it, one
#: process is faster, because starting workers costs about 10-20 ms. Measured with
#: benchmarks/bench_bulk.py (see docs/bulk.md); module-level so that tests can lower it.
PARALLEL_MIN_CHARS = 2_000_000

#: The same threshold where workers must be spawned (macOS, Windows): each spawned worker
#: imports the package and builds its vocabulary, which takes about a second.
SPAWN_PARALLEL_MIN_CHARS = 64_000_000

#: Characters per unit of work handed to a worker: about 30 ms of counting on the benchmark
#: machine (docs/bulk.md), so that the progress bar moves, and enough that sending a chunk
#: costs little next to counting it.
MAX_CHUNK_CHARS = 1_000_000
MIN_CHUNK_CHARS = 16_000

TokenizerOption = Union[str, "os.PathLike[str]", "Tokenizer", None]


# ====================
# What to count for each model
# ====================


class CharacterCounter:
    """Counts characters as ``counting`` does for a characters-per-token estimate."""

    name = "characters"
    method = "characters"

    def count(self, text: str) -> int:
        """Return the number of characters of the normalized text."""
        return len(normalize_text(text))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharacterCounter)

    def __hash__(self) -> int:
        return hash(CharacterCounter)


class _ModelTokenCounter:
    """Counts with ``count_tokens`` itself: the fallback when no faster plan matches it."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.name = f"count_tokens({model!r})"

    def count(self, text: str) -> int:
        return counting.count_tokens(text, self.model).tokens

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ModelTokenCounter) and other.model == self.model

    def __hash__(self) -> int:
        return hash((_ModelTokenCounter, self.model))


@dataclass(frozen=True)
class _ShippedEncoding:
    """A tiktoken encoding shipped with the package, sent to other processes by name."""

    name: str

    def resolve(self) -> TiktokenTokenizer:
        from .tokenizers import tiktoken_tokenizer

        return tiktoken_tokenizer(self.name)


@dataclass(frozen=True, eq=False)
class _LoadedCounter:
    """Any other counter, sent to other processes by pickling the object itself."""

    counter: Any

    def resolve(self) -> Any:
        return self.counter

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _LoadedCounter) and other.counter is self.counter

    def __hash__(self) -> int:
        return id(self.counter)


CounterRef = Union[_ShippedEncoding, _LoadedCounter]


def _counter_ref(counter: Any) -> CounterRef:
    from .tokenizers import tiktoken_tokenizer

    if isinstance(counter, TiktokenTokenizer):
        try:
            shipped = tiktoken_tokenizer(counter.name)
        except ValueError:
            shipped = None
        if shipped is counter:
            return _ShippedEncoding(counter.name)
    return _LoadedCounter(counter)


@dataclass(frozen=True)
class CountPlan:
    """The recipe for one model's counts: which counter runs, and the factor on its count.

    Attributes:
        model: Model id as the caller wrote it.
        counter: What is counted per row: a tokenizer, or characters.
        factor: None for an exact count; else the estimate is the raw count times this
            factor, rounded as ``counting`` rounds it.
        method: The count's method, as ``count_tokens`` reports it.
        tokenizer: Short name of the tokenizer or estimate rule.
        uncertainty: Relative uncertainty of an estimate, None when exact.
    """

    model: str
    counter: CounterRef
    factor: float | None
    method: str
    tokenizer: str
    uncertainty: float | None

    @property
    def exact(self) -> bool:
        """Whether the counts are exact."""
        return self.factor is None and self.uncertainty is None

    def token_count(self, raw: int) -> TokenCount:
        """Return the model's count for a row whose counter gave ``raw``."""
        if self.factor is None:
            return TokenCount(raw, self.exact, self.method, self.tokenizer, self.uncertainty)
        tokens = counting.scale_count(raw, self.factor)
        return TokenCount(tokens, False, self.method, self.tokenizer, self.uncertainty)


# Mixed prose, code and digits, so that every estimate rule gives a distinct count.
_PROBE_TEXT = (
    "Probe: order #48213 failed at 10:42 with ValueError('bad token') in handler(event); "
    "the customer asked twice for a refund of $129.99."
)


def plan_counts(models: Sequence[str], *, tokenizer: TokenizerOption = None) -> list[CountPlan]:
    """Decide, for each model, which counter to run and how to turn its count into tokens.

    Args:
        models: Model ids.
        tokenizer: A tokenizer for every model instead of each model's own, as in
            ``count_tokens``.

    Returns:
        One plan per model, in order.

    Raises:
        InvalidTokenizerError: If ``tokenizer`` cannot be used.
    """
    return [_plan_for(model, tokenizer) for model in models]


def _plan_for(model: str, tokenizer: TokenizerOption) -> CountPlan:
    exact = counting.get_tokenizer(model, tokenizer=tokenizer)
    if exact is not None:
        return CountPlan(model, _counter_ref(exact), None, exact.method, exact.name, None)
    probe = counting.count_tokens(_PROBE_TEXT, model)
    for candidate in _estimate_candidates(model, probe):
        if candidate.token_count(candidate.counter.resolve().count(_PROBE_TEXT)) == probe:
            return candidate
    # No faster plan reproduces count_tokens: count every row with count_tokens itself.
    counter = _LoadedCounter(_ModelTokenCounter(model))
    return CountPlan(model, counter, 1.0, probe.method, probe.tokenizer, probe.uncertainty)


def _estimate_candidates(model: str, probe: TokenCount) -> list[CountPlan]:
    rule = counting.estimate_rule(model)
    candidates = []
    if rule.proxy is not None:
        proxy = counting.proxy_tokenizer(rule.proxy)
        if proxy is not None:
            candidates.append(CountPlan(model, _counter_ref(proxy), rule.proxy_factor,
                                        probe.method, probe.tokenizer, probe.uncertainty))
    chars_per_token, _ = counting.get_estimate_ratio(model)
    candidates.append(CountPlan(model, _LoadedCounter(CharacterCounter()), 1 / chars_per_token,
                                probe.method, probe.tokenizer, probe.uncertainty))
    return candidates


# ====================
# The counting engine
# ====================


@dataclass(frozen=True)
class ChunkCounts:
    """Raw counts of the rows ``start`` to ``stop - 1``, one array per counter."""

    start: int
    stop: int
    counts: tuple[array, ...]


def default_workers() -> int:
    """Return the number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not available on macOS and Windows
        return os.cpu_count() or 1


def count_slice(texts: Sequence[str], counter: Any) -> array:
    """Count each text with one counter; token lists are dropped as soon as they are counted."""
    if type(counter) is TiktokenTokenizer:
        # Same result as counter.count: tiktoken repairs lone surrogates exactly as
        # normalize_text does, and only texts this long can hold a whitespace run that needs
        # the counter's slower exact path.
        encode = counter.encoding.encode_ordinary
        slow_count = counter.count
        limit = LONG_WHITESPACE_RUN
        return array("q", [len(encode(t)) if len(t) < limit else slow_count(t) for t in texts])
    count = counter.count
    return array("q", [count(t) for t in texts])


def iter_chunk_counts(
    texts: Sequence[str],
    counters: Sequence[CounterRef],
    *,
    workers: int | None = None,
    start_method: str | None = None,
) -> Iterator[ChunkCounts]:
    """Count every text with every counter, yielding chunks of rows as they are finished.

    Chunks come in the order they finish, which is not always row order. Closing the
    generator (or an exception in it) stops the worker processes at once.

    Args:
        texts: The texts; never modified.
        counters: What to count, each run once per text.
        workers: Processes that count, the calling one included; None for every core.
        start_method: ``"fork"`` or ``"spawn"``; None picks fork on Linux, spawn elsewhere.
    """
    if not counters:
        return
    total_chars = sum(map(len, texts))
    method = start_method or ("fork" if sys.platform.startswith("linux") else "spawn")
    processes = _process_count(workers, total_chars, method)
    chunker = _Chunker(texts, processes)
    resolved = [ref.resolve() for ref in counters]
    if processes == 1:
        while chunker:
            start, stop = chunker.take()
            yield _count_chunk(texts, resolved, start, stop)
        return
    yield from _count_in_processes(texts, counters, resolved, chunker, processes, method)


def _process_count(workers: int | None, total_chars: int, method: str) -> int:
    if workers is None:
        workers = default_workers()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidRequestError(f"workers must be a whole number of 1 or more, got {workers!r}")
    threshold = PARALLEL_MIN_CHARS if method == "fork" else SPAWN_PARALLEL_MIN_CHARS
    if workers == 1 or total_chars < threshold:
        return 1
    if multiprocessing.current_process().daemon:
        # A daemonic process, such as a multiprocessing pool worker, cannot start children.
        return 1
    return workers


class _Chunker:
    """Hands out consecutive row ranges, smaller and smaller as the text runs out.

    Each range has about ``remaining / (2 * processes)`` characters, between
    ``MIN_CHUNK_CHARS`` and ``MAX_CHUNK_CHARS`` (guided self-scheduling), so that the processes
    finish within one small chunk of each other. A single process always gets the maximum.
    """

    def __init__(self, texts: Sequence[str], processes: int) -> None:
        self._ends = array("q", itertools.accumulate(map(len, texts)))
        self._processes = processes
        self._next = 0

    def __bool__(self) -> bool:
        return self._next < len(self._ends)

    def take(self) -> tuple[int, int]:
        """Return the next range of rows as ``(start, stop)``."""
        start = self._next
        done = self._ends[start - 1] if start else 0
        size = MAX_CHUNK_CHARS
        if self._processes > 1:
            remaining = self._ends[-1] - done
            size = max(MIN_CHUNK_CHARS, min(MAX_CHUNK_CHARS, remaining // (2 * self._processes)))
        # The first row whose end reaches the target closes the chunk; every chunk has a row.
        stop = min(bisect.bisect_left(self._ends, done + size, lo=start) + 1, len(self._ends))
        self._next = stop
        return start, stop


def _count_chunk(
    texts: Sequence[str], counters: Sequence[Any], start: int, stop: int
) -> ChunkCounts:
    part = texts[start:stop]
    return ChunkCounts(start, stop, tuple(count_slice(part, counter) for counter in counters))


class WorkerProcessError(RuntimeError):
    """A counting worker process failed or exited without returning its counts."""


# Jobs that forked children read: job id -> (texts, counters). A child inherits this dict as
# it was at fork time, so the texts are never copied or pickled.
_FORKED_JOBS: dict[int, tuple[Sequence[str], list[Any]]] = {}
_job_ids = itertools.count()


def _child_main(connection: Connection, job: int | None, counters: Sequence[CounterRef]) -> None:
    """Count the chunks the parent sends until it sends None.

    A forked child reads its texts from ``_FORKED_JOBS`` and receives ``(start, stop)``; a
    spawned child builds its counters from ``counters`` and receives ``(start, stop, texts)``.
    """
    # Ctrl-C in a terminal reaches the whole process group; the parent stops the children.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if job is not None:
        texts, resolved = _FORKED_JOBS[job]
    else:
        resolved = [ref.resolve() for ref in counters]
    while True:
        task = connection.recv()
        if task is None:
            return
        try:
            if job is not None:
                start, stop = task
                counts = _count_chunk(texts, resolved, start, stop).counts
            else:
                start, stop, part = task
                counts = tuple(count_slice(part, counter) for counter in resolved)
        except Exception as err:  # sent to the parent, which raises it
            connection.send(("error", err))
            return
        connection.send(("counts", counts))


class _Child:
    """One worker process, its end of the pipe and the chunks it has been sent."""

    def __init__(self, process: BaseProcess, connection: Connection) -> None:
        self.process = process
        self.connection = connection
        self.sent: deque[tuple[int, int]] = deque()

    def receive(self) -> ChunkCounts:
        try:
            kind, payload = self.connection.recv()
        except (EOFError, OSError) as err:
            raise WorkerProcessError(
                f"counting worker process {self.process.pid} exited with code "
                f"{self.process.exitcode}; run again with workers=1 to count in this process"
            ) from err
        if kind == "error":
            raise payload
        start, stop = self.sent.popleft()
        return ChunkCounts(start, stop, payload)


def _busy(children: list[_Child]) -> dict[Connection, _Child]:
    return {child.connection: child for child in children if child.sent}


def _send_chunks(
    children: list[_Child], chunker: _Chunker, texts: Sequence[str], queued: int, forked: bool
) -> None:
    """Top up every child's queue to ``queued`` chunks."""
    for child in children:
        while chunker and len(child.sent) < queued:
            start, stop = chunker.take()
            task = (start, stop) if forked else (start, stop, list(texts[start:stop]))
            child.connection.send(task)
            child.sent.append((start, stop))


def _count_in_processes(
    texts: Sequence[str],
    counters: Sequence[CounterRef],
    resolved: list[Any],
    chunker: _Chunker,
    processes: int,
    method: str,
) -> Iterator[ChunkCounts]:
    """Count chunks in ``processes - 1`` child processes and in this one.

    Plain pipes, not a multiprocessing Pool: a Pool moves tasks and results with helper
    threads, which wait for the GIL while this process counts, so the children idle.
    """
    from multiprocessing.connection import wait

    context = multiprocessing.get_context(method)
    forked = method == "fork"
    job = next(_job_ids)
    # A forked child always has its next chunk queued. A spawned child gets one chunk at a
    # time, because sending it a large chunk while it sends counts back could deadlock.
    queued = 2 if forked else 1
    children: list[_Child] = []
    if forked:
        _FORKED_JOBS[job] = (texts, resolved)
    try:
        for _ in range(processes - 1):
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=_child_main, args=(child_end, job if forked else None, counters),
                daemon=True,
            )
            process.start()
            child_end.close()
            children.append(_Child(process, parent_end))
        if forked:
            del _FORKED_JOBS[job]
        _send_chunks(children, chunker, texts, queued, forked)
        while True:
            # Collect finished counts and send new chunks before counting, so that no child
            # waits for work while this process counts.
            busy = _busy(children)
            ready = [busy[connection].receive() for connection in wait(list(busy), timeout=0)]
            _send_chunks(children, chunker, texts, queued, forked)
            yield from ready
            if chunker:
                start, stop = chunker.take()
                yield _count_chunk(texts, resolved, start, stop)
                continue
            busy = _busy(children)
            if not busy:
                break
            ready = [busy[connection].receive() for connection in wait(list(busy))]
            yield from ready
        for child in children:
            child.connection.send(None)
        for child in children:
            child.process.join()
    finally:
        _FORKED_JOBS.pop(job, None)
        for child in children:
            if child.process.is_alive():
                child.process.terminate()
                child.process.join()
            child.connection.close()


class TokenCounts(Sequence[TokenCount]):
    """One model's counts of many texts.

    Indexing gives the ``TokenCount`` of one text, made on first access, and ``tokens`` gives
    every count as a plain integer without making any ``TokenCount``.
    """

    def __init__(self, plan: CountPlan, raw: array) -> None:
        self._plan = plan
        self._raw = raw
        self._made: dict[int, TokenCount] = {}

    @property
    def model(self) -> str:
        """The model id the texts were counted for."""
        return self._plan.model

    @property
    def exact(self) -> bool:
        """Whether the counts are exact rather than estimated."""
        return self._plan.exact

    @property
    def method(self) -> str:
        """How the texts were counted."""
        return self._plan.method

    @property
    def tokens(self) -> list[int]:
        """Each text's token count (the central value for an estimate)."""
        if self._plan.factor is None:
            return self._raw.tolist()
        return [self._count(raw).tokens for raw in self._raw]

    def __len__(self) -> int:
        return len(self._raw)

    @overload
    def __getitem__(self, index: int) -> TokenCount: ...

    @overload
    def __getitem__(self, index: slice) -> list[TokenCount]: ...

    def __getitem__(self, index: int | slice) -> TokenCount | list[TokenCount]:
        if isinstance(index, slice):
            return [self._count(raw) for raw in self._raw[index]]
        return self._count(self._raw[index])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<TokenCounts {self.model}: {len(self):,} texts, {sum(self.tokens):,} tokens>"

    def _count(self, raw: int) -> TokenCount:
        return _memo_count(self._plan, self._made, raw)


def count_texts(
    texts: Sequence[str],
    models: Sequence[str],
    *,
    tokenizer: TokenizerOption = None,
    workers: int | None = None,
    progress: ProgressOption = None,
) -> dict[str, TokenCounts]:
    """Count many texts for several models, on every core for large inputs.

    Args:
        texts: The texts, each counted as ordinary text.
        models: Model ids.
        tokenizer: A tokenizer for every model, as in ``count_tokens``.
        workers: Processes that count, the calling one included; None for every core.
        progress: See ``progress.progress_reporter``; counts texts.

    Returns:
        For each model, the counts of every text in order: ``result[model][i]`` equals
        ``count_tokens(texts[i], model)``, and ``result[model].tokens`` lists the integers.
    """
    plans = plan_counts(models, tokenizer=tokenizer)
    counters = list(dict.fromkeys(plan.counter for plan in plans))
    raw: list[array] = [array("q", bytes(8 * len(texts))) for _ in counters]
    done = 0
    with progress_reporter(len(texts), progress, description="Counting tokens",
                           unit="texts") as reporter:
        for chunk in iter_chunk_counts(texts, counters, workers=workers):
            for column, counts in zip(raw, chunk.counts):
                column[chunk.start:chunk.stop] = counts
            done += chunk.stop - chunk.start
            reporter.update(done)
    return {plan.model: TokenCounts(plan, raw[counters.index(plan.counter)]) for plan in plans}


def _memo_count(plan: CountPlan, memo: dict[int, TokenCount], raw: int) -> TokenCount:
    found = memo.get(raw)
    if found is None:
        found = memo[raw] = plan.token_count(raw)
    return found
