"""Price every row of a DataFrame column for one or more models: the bill before a batch run.

``price_frame`` counts each row's prompt with the model's tokenizer, prices each row's usage
with ``costs.price_usage`` (so a long-context tier applies to exactly the rows whose own prompt
crosses it) and adds the costs in exact ``Decimal``. The counts equal ``count_tokens`` row by
row and the costs equal ``estimate`` row by row; only the work is organised differently:

* Each distinct tokenizer is run once per row, however many models share it, and token lists
  are dropped as soon as they are counted. A model without a public tokenizer reuses the count
  of the proxy tokenizer that ``counting`` scales for its estimate.
* Large inputs are counted on every core. On Linux the workers are forked, so they inherit the
  texts and the loaded vocabularies. Elsewhere they are spawned and build the vocabularies
  offline through ``_vocab``. The calling process counts too. Below ``PARALLEL_MIN_CHARS``
  characters everything runs in the calling process, because starting processes would cost
  more than it saves.
* Rows with the same counts share one priced usage, so pricing 200,000 rows calls
  ``price_usage`` only once per distinct usage.

``count_texts`` exposes the counting engine on its own, for the ``llmcost`` command.
"""

from __future__ import annotations

import bisect
import itertools
import math
import multiprocessing
import os
import signal
import sys
import warnings
from array import array
from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Union, overload

from . import counting
from .costs import CostBreakdown, Usage, price_usage
from .counting import TokenCount
from .prices import RateCard, get_rate_card
from .progress import ProgressOption, progress_reporter
from .report import InvalidRequestError, parse_share
from .tokenizers import LONG_WHITESPACE_RUN, TiktokenTokenizer, normalize_text

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    import pandas as pd

    from .tokenizers import Tokenizer

__all__ = [
    "COST_COLUMNS",
    "PARALLEL_MIN_CHARS",
    "SPAWN_PARALLEL_MIN_CHARS",
    "CountPlan",
    "IncompleteResultWarning",
    "ModelTotals",
    "PricedFrame",
    "TokenCounts",
    "count_texts",
    "default_workers",
    "plan_counts",
    "price_frame",
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
TokenOption = Union[int, str]


class IncompleteResultWarning(UserWarning):
    """``price_frame`` was interrupted and returned the rows it had priced."""


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


# ====================
# Pricing rows
# ====================


class PricedUsage:
    """One distinct usage of one model, priced once and shared by every row that has it.

    ``record`` contains the values of ``ROW_COLUMNS`` after ``model``, made once here, so
    that building the per-row frame only transposes records.
    """

    __slots__ = ("count", "usage", "cost", "cost_low", "cost_high", "record")

    def __init__(
        self,
        count: TokenCount,
        usage: Usage,
        cost: CostBreakdown,
        cost_low: Decimal,
        cost_high: Decimal,
        calls: int,
    ) -> None:
        self.count = count
        self.usage = usage
        self.cost = cost
        self.cost_low = cost_low
        self.cost_high = cost_high
        self.record = (
            count.tokens,
            count.exact,
            usage.output_tokens,
            usage.reasoning_tokens,
            usage.cache_read_tokens,
            cost.tier is not None,
            cost.input,
            cost.cache_read + cost.cache_write,
            cost.output,
            cost.reasoning,
            cost.total,
            calls,
            cost.total * calls,
        )


@dataclass(frozen=True)
class FrameOptions:
    """The per-row token options of a run, validated; picklable for Dask workers."""

    output: int | str
    reasoning: int | str
    cached: int | str | None
    cached_share: Decimal | None
    batch: bool
    calls_per_row: int


class _ModelPricer:
    """Prices one model's rows, calling ``price_usage`` once per distinct usage."""

    def __init__(self, plan: CountPlan, card: RateCard, options: FrameOptions) -> None:
        self.plan = plan
        self.card = card
        self.options = options
        self._counts: dict[int, TokenCount] = {}
        self._priced: dict[tuple[int, int, int, int | None], PricedUsage] = {}

    def price(
        self,
        raw_counts: Sequence[int],
        outputs: Sequence[int],
        reasonings: Sequence[int],
        cached: Sequence[int | None],
        labels: Callable[[int], Hashable],
    ) -> list[PricedUsage]:
        """Price rows given their raw counts and token options, in row order."""
        priced = self._priced
        rows = []
        for position, key in enumerate(zip(raw_counts, outputs, reasonings, cached)):
            found = priced.get(key)
            if found is None:
                found = priced[key] = self._price_new(*key, label=lambda: labels(position))
            rows.append(found)
        return rows

    def _price_new(
        self,
        raw: int,
        output: int,
        reasoning: int,
        cached: int | None,
        *,
        label: Callable[[], Hashable],
    ) -> PricedUsage:
        count = _memo_count(self.plan, self._counts, raw)
        read = self._cached_tokens(count.tokens, cached)
        if read > count.tokens:
            raise InvalidRequestError(
                f"row {label()!r}: {read:,} cached tokens exceed the row's {count.tokens:,} "
                f"prompt tokens for {self.plan.model}: cached tokens are part of the prompt, so "
                "lower cached_tokens or give cached_share instead"
            )
        usage = Usage(count.tokens, output, reasoning, read)
        cost = price_usage(self.card, usage, batch=self.options.batch)
        calls = self.options.calls_per_row
        if count.exact:
            return PricedUsage(count, usage, cost, cost.total, cost.total, calls)
        low = self._bound_cost(count.low, output, reasoning, cached)
        high = self._bound_cost(count.high, output, reasoning, cached)
        return PricedUsage(count, usage, cost, low, high, calls)

    def _cached_tokens(self, prompt_tokens: int, cached: int | None) -> int:
        share = self.options.cached_share
        if share is not None:
            # The same rounding as report.estimate: the share's whole tokens, rounded down.
            return int(share * prompt_tokens)
        return cached or 0

    def _bound_cost(self, tokens: int, output: int, reasoning: int, cached: int | None) -> Decimal:
        # Cached tokens are capped at the bound's prompt size, which can be below the count.
        read = min(self._cached_tokens(tokens, cached), tokens)
        usage = Usage(tokens, output, reasoning, read)
        return price_usage(self.card, usage, batch=self.options.batch).total


# ====================
# Results
# ====================


@dataclass(frozen=True)
class ModelTotals:
    """One model's totals over the priced rows, for all calls.

    Attributes:
        model: Model id as the caller wrote it.
        rows: Number of rows priced.
        calls: Number of calls priced: rows times ``calls_per_row``.
        usage: Tokens of all calls added up.
        cost: Cost of all calls, split by kind of token, exact.
        cost_low: Total cost with every estimated count at the low end of its range; equal
            to ``cost.total`` for an exact model.
        cost_high: The same at the high end of the range.
        input_tokens_low: Prompt tokens of all calls at the low end of the estimates' range.
        input_tokens_high: The same at the high end.
        long_context_rows: Rows whose prompt is large enough for a long-context tier.
        exact: Whether every count is exact.
        method: How the prompt tokens were counted.
    """

    model: str
    rows: int
    calls: int
    usage: Usage
    cost: CostBreakdown
    cost_low: Decimal
    cost_high: Decimal
    input_tokens_low: int
    input_tokens_high: int
    long_context_rows: int
    exact: bool
    method: str

    @classmethod
    def from_rows(cls, model: str, priced: Sequence[PricedUsage], plan: CountPlan,
                  calls_per_row: int) -> ModelTotals:
        """Add up priced rows, each distinct usage once times the rows that have it."""
        tally = Counter(priced)
        tokens = [0] * 6
        low = high = 0
        long_context = 0
        cost = CostBreakdown.zero()
        cost_low = cost_high = Decimal(0)
        for item, rows in tally.items():
            usage = item.usage
            for index, value in enumerate(_usage_values(usage)):
                tokens[index] += value * rows
            low += item.count.low * rows
            high += item.count.high * rows
            long_context += rows if item.cost.tier is not None else 0
            cost += item.cost.scaled(rows)
            cost_low += item.cost_low * rows
            cost_high += item.cost_high * rows
        usage_total = Usage(*(value * calls_per_row for value in tokens))
        return cls(
            model=model,
            rows=len(priced),
            calls=len(priced) * calls_per_row,
            usage=usage_total,
            cost=cost.scaled(calls_per_row),
            cost_low=cost_low * calls_per_row,
            cost_high=cost_high * calls_per_row,
            input_tokens_low=low * calls_per_row,
            input_tokens_high=high * calls_per_row,
            long_context_rows=long_context,
            exact=plan.exact,
            method=plan.method,
        )

    def __add__(self, other: object) -> ModelTotals:
        """Combine the totals of two disjoint sets of rows of the same model."""
        if not isinstance(other, ModelTotals):
            return NotImplemented
        if other.model != self.model:
            raise ValueError(f"cannot add the totals of {self.model!r} and {other.model!r}")
        return ModelTotals(
            model=self.model,
            rows=self.rows + other.rows,
            calls=self.calls + other.calls,
            usage=self.usage + other.usage,
            cost=self.cost + other.cost,
            cost_low=self.cost_low + other.cost_low,
            cost_high=self.cost_high + other.cost_high,
            input_tokens_low=self.input_tokens_low + other.input_tokens_low,
            input_tokens_high=self.input_tokens_high + other.input_tokens_high,
            long_context_rows=self.long_context_rows + other.long_context_rows,
            exact=self.exact and other.exact,
            method=self.method,
        )

    @classmethod
    def empty(cls, plan: CountPlan) -> ModelTotals:
        """Return the totals of no rows."""
        zero = Decimal(0)
        return cls(plan.model, 0, 0, Usage(0), CostBreakdown.zero(), zero, zero, 0, 0, 0,
                   plan.exact, plan.method)


def _usage_values(usage: Usage) -> tuple[int, ...]:
    return (usage.input_tokens, usage.output_tokens, usage.reasoning_tokens,
            usage.cache_read_tokens, usage.cache_write_5m_tokens, usage.cache_write_1h_tokens)


#: Columns of ``PricedFrame.rows`` that contain ``Decimal`` USD amounts.
COST_COLUMNS = (
    "input_cost",
    "cache_cost",
    "output_cost",
    "reasoning_cost",
    "cost_per_call",
    "total_cost",
)

ROW_COLUMNS = (
    "model",
    "input_tokens",
    "exact",
    "output_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "long_context",
    "input_cost",
    "cache_cost",
    "output_cost",
    "reasoning_cost",
    "cost_per_call",
    "calls",
    "total_cost",
)


class PricedFrame:
    """The priced rows of a DataFrame and the totals per model.

    Attributes:
        totals: ``ModelTotals`` by model id, in the order the models were given.
        cards: The rate card used for each model.
        complete: False when the run was interrupted; then only some rows are priced.
        rows_total: Number of rows in the input.
        rows_priced: Number of rows priced.
        message: A sentence on how far the run got, such as
            ``"priced 120,000 of 200,000 rows; interrupted"``.
        batch: Whether the batch discount was applied.
        calls_per_row: Calls priced per row.
    """

    def __init__(
        self,
        *,
        totals: dict[str, ModelTotals],
        cards: dict[str, RateCard],
        rows_total: int,
        rows_priced: int,
        complete: bool,
        batch: bool,
        calls_per_row: int,
        rows: Any = None,
        unpriced_index: Any = None,
    ) -> None:
        self.totals = totals
        self.cards = cards
        self.rows_total = rows_total
        self.rows_priced = rows_priced
        self.complete = complete
        self.batch = batch
        self.calls_per_row = calls_per_row
        self._rows = rows
        self._unpriced_index = unpriced_index
        state = "complete" if complete else "interrupted"
        self.message = f"priced {rows_priced:,} of {rows_total:,} rows; {state}"

    @property
    def rows(self) -> pd.DataFrame:
        """One row per input row and model, in long form.

        The index is the input row's label, repeated once per model, and rows are grouped
        by model in the order the models were given. Token columns are integers; cost
        columns hold ``Decimal`` USD: ``input_cost``, ``cache_cost``, ``output_cost``,
        ``reasoning_cost`` and ``cost_per_call`` for one call, ``total_cost`` for ``calls``
        calls. ``long_context`` marks rows billed at a long-context tier. For a Dask input
        this is a lazy Dask DataFrame that counts again when computed.
        """
        return self._rows

    @property
    def unpriced_index(self) -> pd.Index:
        """Labels of the input rows not priced because the run was interrupted."""
        return self._unpriced_index

    def wide(self, value: str = "total_cost") -> pd.DataFrame:
        """Return one column per model and one row per priced input row, for ``df.join``.

        Args:
            value: Any column of ``rows`` except ``model``.
        """
        rows = self.rows
        if _is_dask_frame(rows):
            raise TypeError("wide() needs the rows in memory; for a Dask input, compute them "
                            "first with result.rows.compute() or save them with to_parquet")
        if value not in rows.columns or value == "model":
            choices = ", ".join(column for column in ROW_COLUMNS if column != "model")
            raise InvalidRequestError(f"unknown column {value!r}; choose one of: {choices}")
        import pandas as pd

        models = list(self.totals)
        count = self.rows_priced
        columns = {
            model: rows[value].iloc[position * count:(position + 1) * count].to_numpy()
            for position, model in enumerate(models)
        }
        index = rows.index[:count]
        return pd.DataFrame(columns, index=index, columns=models)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per model with its totals; amounts are ``Decimal`` USD."""
        import pandas as pd

        return pd.DataFrame.from_records(
            [self._summary_record(totals) for totals in self.totals.values()]
        )

    def _summary_record(self, totals: ModelTotals) -> dict[str, object]:
        card = self.cards[totals.model]
        cost = totals.cost
        return {
            "model": totals.model,
            "provider": card.provider_id,
            "model_id": card.model_id,
            "rows": totals.rows,
            "calls": totals.calls,
            "input_tokens": totals.usage.input_tokens,
            "input_tokens_low": totals.input_tokens_low,
            "input_tokens_high": totals.input_tokens_high,
            "output_tokens": totals.usage.output_tokens,
            "reasoning_tokens": totals.usage.reasoning_tokens,
            "cached_tokens": totals.usage.cache_read_tokens,
            "long_context_rows": totals.long_context_rows,
            "input_cost": cost.input,
            "cache_cost": cost.cache_read + cost.cache_write,
            "output_cost": cost.output,
            "reasoning_cost": cost.reasoning,
            "total_cost": cost.total,
            "total_cost_low": totals.cost_low,
            "total_cost_high": totals.cost_high,
            "exact": totals.exact,
            "method": totals.method,
            "batch": self.batch,
            "price_source": card.source,
            "price_as_of": card.as_of,
        }

    def _table(self):  # type: ignore[no-untyped-def]
        from .display import Table, format_money

        header = ["Model", "Rows", "Calls", "Input tokens", "Output tokens", "Total cost",
                  "Range", "Counts"]
        body = []
        for totals in self.totals.values():
            estimated = not totals.exact
            span = (f"{format_money(totals.cost_low)} to {format_money(totals.cost_high)}"
                    if estimated else "")
            body.append([
                totals.model,
                f"{totals.rows:,}",
                f"{totals.calls:,}",
                f"{'≈' if estimated else ''}{totals.usage.input_tokens:,}",
                f"{totals.usage.output_tokens + totals.usage.reasoning_tokens:,}",
                format_money(totals.cost.total),
                span,
                "estimated" if estimated else "exact",
            ])
        return Table(f"Cost of {self.rows_total:,} rows", header, body, self._notes())

    def _notes(self) -> list[str]:
        notes = [] if self.complete else [f"Incomplete: {self.message}."]
        for totals in self.totals.values():
            card = self.cards[totals.model]
            as_of = card.as_of.isoformat() if card.as_of else "unknown date"
            notes.append(f"{totals.model}: {totals.method}; prices from {card.source}, "
                         f"as of {as_of}.")
            if totals.long_context_rows:
                notes.append(f"{totals.model}: {totals.long_context_rows:,} rows are billed at "
                             "long-context rates.")
        if self.batch:
            notes.append("Batch discount applied.")
        return notes

    def __repr__(self) -> str:
        from .display import format_money

        costs = ", ".join(f"{model} {format_money(totals.cost.total)}"
                          for model, totals in self.totals.items())
        return f"<PricedFrame {self.message}: {costs}>"

    def __str__(self) -> str:
        return str(self._table())

    def _repr_html_(self) -> str:
        return self._table()._repr_html_()

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # type: ignore[no-untyped-def]
        printer.text(repr(self) if cycle else str(self))


# ====================
# price_frame
# ====================


def price_frame(
    df: Any,
    column: str,
    models: str | Sequence[str],
    *,
    output_tokens: TokenOption = 0,
    reasoning_tokens: TokenOption = 0,
    cached_tokens: TokenOption | None = None,
    cached_share: Decimal | float | str | None = None,
    batch: bool = False,
    calls_per_row: int = 1,
    tokenizer: TokenizerOption = None,
    workers: int | None = None,
    progress: ProgressOption = None,
) -> PricedFrame:
    """Count and price the prompt in every row of ``df[column]`` for each model.

    Each row is one request: its prompt is the cell's text, counted as ordinary text, and its
    usage is priced with the model's rate card. A long-context tier applies to the rows whose
    own prompt crosses it. Totals are exact ``Decimal`` sums of the per-row costs.

    Args:
        df: A pandas DataFrame, or a Dask DataFrame (priced partition by partition, see
            ``dask_support.price_dask_frame``).
        column: Column that contains the prompts. Every cell must be a str: missing values
            (None, NaN, NA) and other types raise ``InvalidRequestError``, because an
            empty prompt would still be billed its output tokens. Drop them first with
            ``df.dropna(subset=[column])``.
        models: One model id or several.
        output_tokens: Visible output tokens per call: a number, or the name of a column of
            whole numbers.
        reasoning_tokens: Hidden reasoning tokens per call: a number or a column name.
        cached_tokens: Prompt tokens read from the cache per call: a number or a column name.
        cached_share: The same as a share of each row's prompt (0 to 1, or "40%").
        batch: Apply the provider's batch discount.
        calls_per_row: Calls made with each row, for example 3 for three attempts.
        tokenizer: A tokenizer for every model instead of each model's own, as in
            ``count_tokens``.
        workers: Processes that count, the calling one included; None for every core.
            Inputs below ``PARALLEL_MIN_CHARS`` characters are always counted in the calling
            process.
        progress: None shows a progress bar once the work has lasted 1.5 seconds. True
            shows it at once and False never. A function ``f(rows_done, rows_total)`` is
            called instead of drawing a bar.

    Returns:
        A ``PricedFrame``: ``rows`` (long form, one row per input row and model),
        ``wide()``, ``summary`` and ``totals`` by model. If the run is interrupted
        (Ctrl-C, or ``KeyboardInterrupt`` raised by a progress function), the rows priced so
        far are returned with ``complete=False``, ``message`` saying how far it got,
        ``unpriced_index`` listing the rest, and an ``IncompleteResultWarning``.

    Raises:
        InvalidRequestError: If the column is missing, a cell is not a str, or an option is
            invalid.
        UnknownModelError: If a model is not in the catalog.
        BatchNotAvailableError: If ``batch`` is set for a model without a batch discount.
    """
    if _is_dask_frame(df):
        from .dask_support import price_dask_frame

        return price_dask_frame(
            df, column, models, output_tokens=output_tokens, reasoning_tokens=reasoning_tokens,
            cached_tokens=cached_tokens, cached_share=cached_share, batch=batch,
            calls_per_row=calls_per_row, tokenizer=tokenizer,
        )
    options = make_options(df, column, output_tokens, reasoning_tokens, cached_tokens,
                           cached_share, batch, calls_per_row)
    model_list = check_models(models)
    cards = {model: get_rate_card(model) for model in model_list}
    plans = plan_counts(model_list, tokenizer=tokenizer)
    run = FrameRun(df, column, plans, cards, options)
    return run.execute(workers=workers, progress=progress)


def make_options(
    df: Any,
    column: str,
    output_tokens: TokenOption,
    reasoning_tokens: TokenOption,
    cached_tokens: TokenOption | None,
    cached_share: Decimal | float | str | None,
    batch: bool,
    calls_per_row: int,
) -> FrameOptions:
    """Check the options of ``price_frame`` against the frame's columns."""
    columns = list(df.columns)
    if column not in columns:
        raise InvalidRequestError(f"column {column!r} not found; the frame has: "
                                  f"{', '.join(map(str, columns)) or 'no columns'}")
    for name, value in (("output_tokens", output_tokens), ("reasoning_tokens", reasoning_tokens),
                        ("cached_tokens", cached_tokens)):
        _check_token_option(name, value, columns)
    if cached_tokens is not None and cached_share is not None:
        raise InvalidRequestError(
            f"give cached_tokens or cached_share, not both ({cached_tokens!r} and {cached_share!r})"
        )
    share = None if cached_share is None else parse_share("cached_share", cached_share)
    if not isinstance(batch, bool):
        raise InvalidRequestError(f"batch must be True or False, got {batch!r}")
    if isinstance(calls_per_row, bool) or not isinstance(calls_per_row, int) or calls_per_row < 0:
        raise InvalidRequestError(
            f"calls_per_row must be a whole number of 0 or more, got {calls_per_row!r}"
        )
    return FrameOptions(output_tokens, reasoning_tokens, cached_tokens, share, batch, calls_per_row)


def _check_token_option(name: str, value: object, columns: list[Any]) -> None:
    if value is None and name == "cached_tokens":
        return
    if isinstance(value, str):
        if value not in columns:
            raise InvalidRequestError(
                f"{name}={value!r} is neither a number nor a column of the frame; columns: "
                f"{', '.join(map(str, columns))}"
            )
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequestError(
            f"{name} must be a whole number of 0 or more or a column name, got {value!r}"
        )


def check_models(models: str | Sequence[str]) -> list[str]:
    """Return the model ids as a list without repeats, or raise if one is not a usable id."""
    model_list = [models] if isinstance(models, str) else list(models)
    if not model_list:
        raise InvalidRequestError("no model given: name at least one, for example gpt-4o")
    for model in model_list:
        if not isinstance(model, str) or not model.strip():
            raise InvalidRequestError(f"a model id must be a non-empty string, got {model!r}")
    return list(dict.fromkeys(model_list))


def _is_dask_frame(df: object) -> bool:
    return type(df).__module__.split(".", 1)[0] == "dask"


class FrameRun:
    """One call of ``price_frame`` on a pandas DataFrame."""

    def __init__(self, df: pd.DataFrame, column: str, plans: list[CountPlan],
                 cards: dict[str, RateCard], options: FrameOptions) -> None:
        self.index = df.index
        self.column = column
        self.texts = prompt_texts(df, column)
        self.outputs = token_values(df, options.output, "output_tokens")
        self.reasonings = token_values(df, options.reasoning, "reasoning_tokens")
        self.cached = (itertools.repeat(None) if options.cached is None
                       else token_values(df, options.cached, "cached_tokens"))
        self.plans = plans
        self.cards = cards
        self.options = options
        self.pricers = [_ModelPricer(plan, cards[plan.model], options) for plan in plans]
        self.counters = list(dict.fromkeys(plan.counter for plan in plans))
        # chunk start -> (stop, priced rows of each model)
        self.priced: dict[int, tuple[int, list[list[PricedUsage]]]] = {}

    def execute(self, *, workers: int | None, progress: ProgressOption) -> PricedFrame:
        total = len(self.texts)
        done = 0
        interrupted = False
        with progress_reporter(total, progress, description="Pricing rows") as reporter:
            chunks = iter_chunk_counts(self.texts, self.counters, workers=workers)
            try:
                for chunk in chunks:
                    self._price_chunk(chunk)
                    done += chunk.stop - chunk.start
                    reporter.update(done)
            except KeyboardInterrupt:
                interrupted = True
            finally:
                chunks.close()
        result = self._result(complete=not interrupted)
        if interrupted:
            warnings.warn(f"price_frame was interrupted: {result.message}. The result contains "
                          "the priced rows; unpriced_index lists the others.",
                          IncompleteResultWarning, stacklevel=3)
        return result

    def _price_chunk(self, chunk: ChunkCounts) -> None:
        start, stop = chunk.start, chunk.stop
        index = self.index

        def label(position: int) -> Hashable:
            return index[start + position]

        per_model = []
        for plan, pricer in zip(self.plans, self.pricers):
            raw = chunk.counts[self.counters.index(plan.counter)]
            per_model.append(pricer.price(
                raw, _window(self.outputs, start, stop), _window(self.reasonings, start, stop),
                _window(self.cached, start, stop), label,
            ))
        self.priced[start] = (stop, per_model)

    def _result(self, *, complete: bool) -> PricedFrame:
        starts = sorted(self.priced)
        positions = [p for start in starts for p in range(start, self.priced[start][0])]
        totals = {}
        frames_rows: list[list[PricedUsage]] = []
        for number, plan in enumerate(self.plans):
            rows = [item for start in starts for item in self.priced[start][1][number]]
            frames_rows.append(rows)
            totals[plan.model] = ModelTotals.from_rows(plan.model, rows, plan,
                                                       self.options.calls_per_row)
        return PricedFrame(
            totals=totals,
            cards=self.cards,
            rows_total=len(self.texts),
            rows_priced=len(positions),
            complete=complete,
            batch=self.options.batch,
            calls_per_row=self.options.calls_per_row,
            rows=rows_frame(self.index, positions, self.plans, frames_rows),
            unpriced_index=self.index.delete(positions) if not complete else self.index[:0],
        )


def _window(values: Any, start: int, stop: int) -> Sequence[Any]:
    if isinstance(values, list):
        return values[start:stop]
    return values  # a constant as itertools.repeat: zip stops at the counts' length


def prompt_texts(df: pd.DataFrame, column: str) -> list[str]:
    """Return the column's cells as a list of str, or raise naming the bad cells."""
    values = df[column].tolist()
    bad = [p for p, value in enumerate(values) if type(value) is not str
           and not isinstance(value, str)]
    if not bad:
        return values
    labels = df.index
    missing = [p for p in bad if _is_missing(values[p])]
    if missing:
        examples = ", ".join(repr(labels[p]) for p in missing[:5])
        raise InvalidRequestError(
            f"column {column!r} has {len(missing):,} missing values (rows {examples}"
            f"{', ...' if len(missing) > 5 else ''}). Every row needs a prompt, because an empty "
            f"one would still be billed its output tokens: drop them with "
            f"df.dropna(subset=[{column!r}]), or fill them with df[{column!r}].fillna('')."
        )
    examples = ", ".join(f"row {labels[p]!r}: {type(values[p]).__name__} {values[p]!r:.40}"
                      for p in bad[:3])
    raise InvalidRequestError(
        f"column {column!r} has {len(bad):,} values that are not strings ({examples}); convert "
        f"them with df[{column!r}].astype(str)."
    )


def _is_missing(value: object) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    import pandas as pd

    return value is pd.NA or value is pd.NaT


def token_values(df: pd.DataFrame, option: int | str, name: str) -> Any:
    """Return a per-row list of whole numbers for a column option, or repeat a constant."""
    if not isinstance(option, str):
        return itertools.repeat(option)
    series = df[option]
    values = series.to_numpy()
    kind = values.dtype.kind
    if kind in "iu" and (len(values) == 0 or values.min() >= 0):
        return values.tolist()
    checked = []
    for position, value in enumerate(series.tolist()):
        number = _whole_number(value)
        if number is None:
            raise InvalidRequestError(
                f"{name} column {option!r} must contain whole numbers of 0 or more; row "
                f"{df.index[position]!r} has {value!r}"
            )
        checked.append(number)
    return checked


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or type(value).__name__.startswith(("int", "uint")):
        number = int(value)  # type: ignore[call-overload]
        return number if number >= 0 else None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and value >= 0:
        return int(value)
    return None


def rows_frame(
    index: pd.Index,
    positions: list[int],
    plans: list[CountPlan],
    priced: list[list[PricedUsage]],
) -> pd.DataFrame:
    """Build the long-form per-row frame: one block of rows per model, in input row order."""
    import pandas as pd

    models = [plan.model for plan, rows in zip(plans, priced) for _ in rows]
    records = [item.record for rows in priced for item in rows]
    names = ROW_COLUMNS[1:]
    columns = dict(zip(names, zip(*records))) if records else {name: () for name in names}
    labels = index[positions] if positions else index[:0]
    frame = pd.DataFrame({"model": models, **columns}, index=_tiled(labels, len(plans)),
                         columns=list(ROW_COLUMNS))
    for name in ("input_tokens", "output_tokens", "reasoning_tokens", "cached_tokens", "calls"):
        frame[name] = frame[name].astype("int64")
    frame["model"] = frame["model"].astype(str)  # also when empty, so that Dask's meta matches
    frame["exact"] = frame["exact"].astype(bool)
    frame["long_context"] = frame["long_context"].astype(bool)
    for name in COST_COLUMNS:
        frame[name] = frame[name].astype(object)
    return frame


def _tiled(labels: pd.Index, times: int) -> pd.Index:
    if times == 1:
        return labels
    return labels.append([labels] * (times - 1))
