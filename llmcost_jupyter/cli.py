"""The ``llmcost`` command: count and price files, folders or standard input.

Each input file is one prompt, priced for every model given with ``-m``. Folders are read
recursively; binary files, files that are not valid text in ``--encoding`` and hidden files
are skipped with a note on standard error.

Exit codes:
    0: the estimate was printed.
    2: invalid usage: an unknown model, a missing file, an invalid option, or no text input
       (nothing given, or every file skipped).
    3: the estimate was printed, but some model's total is over ``--budget``.
    130: interrupted with Ctrl-C.

The command imports neither pandas nor IPython, so it starts quickly.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from . import __version__
from .options import amount, positive_number, split_cache, tokens_or_share, whole_number

if TYPE_CHECKING:
    from .report import CostReport

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_OVER_BUDGET = 3
EXIT_INTERRUPTED = 130

#: Bytes read to decide whether a file is binary: a NUL byte in them means binary.
BINARY_SNIFF_BYTES = 8192

FORMATS = ("table", "csv", "json")

#: Skipped files named in the error when every input was skipped.
SKIPPED_FILES_SHOWN = 3


class CommandError(Exception):
    """A user mistake: printed as ``llmcost: error: ...`` and exit code 2."""


# ====================
# Arguments
# ====================


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``llmcost`` command line."""
    parser = argparse.ArgumentParser(
        prog="llmcost",
        description="Count the tokens of files, folders or standard input and price them for "
        "one or more LLMs. Each file is one prompt.",
        epilog="Exit codes: 0 success, 2 invalid usage (unknown model, missing file, invalid "
        "option), 3 estimate over --budget, 130 interrupted. Example: llmcost -m gpt-4o -m "
        "claude-sonnet-4-5 --output 500 --calls 10000 prompts/",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="Files or folders to price; '-' or nothing reads standard input.")
    parser.add_argument("-m", "--model", action="append", default=[], metavar="MODEL",
                        help="Model to price, e.g. gpt-4o; repeat it or separate ids with commas.")
    parser.add_argument("-o", "--output", type=whole_number, default=0, metavar="TOKENS",
                        help="Output tokens per call (visible answer, without reasoning).")
    parser.add_argument("-r", "--reasoning", type=whole_number, default=0, metavar="TOKENS",
                        help="Hidden reasoning tokens per call, billed at the reasoning rate.")
    parser.add_argument("--cached", type=tokens_or_share, default=None, metavar="TOKENS|PCT%",
                        help="Prompt tokens read from the cache per call: a count or a share "
                        "of each prompt, e.g. 40%%.")
    parser.add_argument("--batch", action="store_true",
                        help="Apply the provider's batch discount.")
    parser.add_argument("-n", "--calls", type=whole_number, default=1, metavar="N",
                        help="Calls made with each prompt, e.g. a month's volume (default 1).")
    parser.add_argument("-p", "--action-price", type=amount, default=None, metavar="USD",
                        help="A vendor's fixed price per call to compare with, in USD.")
    parser.add_argument("--tokenizer", default=None, metavar="FILE|ENCODING",
                        help="Count every model with this tokenizer: a tokenizer.json path or a "
                        "tiktoken encoding name such as o200k_base.")
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="Output format (default table). Amounts in csv and json are exact "
                        "decimal strings in USD.")
    parser.add_argument("--budget", type=amount, default=None, metavar="USD",
                        help="Exit with code 3 if the total for any model is over this amount.")
    parser.add_argument("--totals", action="store_true",
                        help="Print only the totals per model, not one line per file.")
    parser.add_argument("--encoding", default="utf-8",
                        help="Text encoding of the input files (default utf-8).")
    parser.add_argument("--hidden", action="store_true",
                        help="Also read hidden files and folders (names starting with '.').")
    parser.add_argument("--workers", type=positive_number, default=None, metavar="N",
                        help="Processes that count large inputs (default: every core).")
    parser.add_argument("--no-progress", action="store_true",
                        help="Never show a progress bar on standard error.")
    parser.add_argument("--list-models", nargs="?", const="", default=None, metavar="QUERY",
                        help="List catalog models whose id or name contain QUERY, then exit.")
    parser.add_argument("--version", action="version", version=f"llmcost {__version__}")
    return parser


# ====================
# Reading inputs
# ====================


@dataclass
class Inputs:
    """The prompts to price and the files skipped on the way."""

    names: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def read_inputs(paths: Sequence[str], *, encoding: str, hidden: bool, stdin: TextIO) -> Inputs:
    """Read every file, folder and ``-`` of ``paths``; nothing means standard input.

    Raises:
        CommandError: If a path does not exist, an explicitly named file cannot be read, or
            there is no input at all.
    """
    inputs = Inputs()
    for path in paths or ["-"]:
        if path == "-":
            inputs.names.append("<stdin>")
            inputs.texts.append(_read_stdin(stdin, encoding))
        elif os.path.isdir(path):
            for file in _walk(Path(path), hidden):
                _add_file(inputs, file, encoding, explicit=False)
        elif os.path.exists(path):
            _add_file(inputs, Path(path), encoding, explicit=True)
        else:
            raise CommandError(f"file not found: {path}")
    if not inputs.texts and not inputs.skipped:
        raise CommandError("no input: the folders contain no files")
    if not inputs.texts:
        raise CommandError(_all_skipped_message(inputs.skipped))
    return inputs


def _all_skipped_message(skipped: list[tuple[str, str]]) -> str:
    """Describe the skipped files when no input is left to price, naming the first few."""
    listed = "; ".join(f"{path}: {reason}" for path, reason in skipped[:SKIPPED_FILES_SHOWN])
    more = len(skipped) - SKIPPED_FILES_SHOWN
    if more > 0:
        listed += f"; and {more:,} more"
    files = "1 file" if len(skipped) == 1 else f"{len(skipped):,} files"
    return f"no text input to price: {files} skipped ({listed})"


def _read_stdin(stdin: TextIO, encoding: str) -> str:
    if stdin.isatty():
        raise CommandError(
            "no input: give files or folders, or pipe text in, for example: "
            "cat prompt.txt | llmcost -m gpt-4o"
        )
    data = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read().encode()
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise CommandError(f"standard input is not valid {encoding} text: {err.reason} at byte "
                           f"{err.start}; set --encoding") from None
    except LookupError:
        raise CommandError(f"unknown text encoding {encoding!r} given with --encoding") from None


def _walk(folder: Path, hidden: bool) -> Iterator[Path]:
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if hidden or not name.startswith("."))
        for name in sorted(files):
            if hidden or not name.startswith("."):
                yield Path(root) / name


def _add_file(inputs: Inputs, path: Path, encoding: str, *, explicit: bool) -> None:
    name = os.fspath(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        if explicit:
            raise CommandError(f"cannot read {name}: {err.strerror}") from None
        inputs.skipped.append((name, f"cannot read: {err.strerror}"))
        return
    if not data.strip():
        # An empty prompt would still be billed its output tokens, so price_frame rejects it too.
        inputs.skipped.append((name, "empty file"))
        return
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        inputs.skipped.append((name, "binary file"))
        return
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        inputs.skipped.append((name, f"not valid {encoding} text"))
        return
    except LookupError:
        raise CommandError(f"unknown text encoding {encoding!r} given with --encoding") from None
    inputs.names.append(name)
    inputs.texts.append(text)


# ====================
# Pricing
# ====================


@dataclass
class ModelTotal:
    """One model's totals over every input."""

    model: str
    provider: str
    model_id: str
    files: int = 0
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    total_cost: Decimal = Decimal(0)
    exact: bool = True
    methods: list[str] = field(default_factory=list)
    action_total: Decimal | None = None

    @property
    def cheaper(self) -> str | None:
        """``"per-token"``, ``"per-action"`` or ``"equal"`` when an action price was given."""
        if self.action_total is None:
            return None
        if self.total_cost == self.action_total:
            return "equal"
        return "per-token" if self.total_cost < self.action_total else "per-action"


@dataclass
class Estimate:
    """Every input's report and the totals per model."""

    names: list[str]
    reports: list[CostReport]
    totals: list[ModelTotal]
    skipped: list[tuple[str, str]]

    @property
    def warnings(self) -> list[str]:
        """Each input's warnings (a prompt over the context window, say), with its name."""
        return [f"{name}: {warning}" for name, report in zip(self.names, self.reports)
                for warning in report.warnings]


def price_inputs(inputs: Inputs, models: list[str], args: argparse.Namespace) -> Estimate:
    """Count every input on all cores, then price each one with ``report.estimate``."""
    from . import bulk
    from .prices import get_rate_card
    from .report import estimate

    cards = [get_rate_card(model) for model in models]
    progress = False if args.no_progress or not sys.stderr.isatty() else None
    counts = bulk.count_texts(inputs.texts, models, tokenizer=args.tokenizer,
                              workers=args.workers, progress=progress)
    cached_tokens, cached_share = split_cache(args.cached)
    totals = [ModelTotal(card.model, card.provider_id, card.model_id) for card in cards]
    reports = []
    for position, (name, text) in enumerate(zip(inputs.names, inputs.texts)):
        try:
            report = estimate(
                text, models, output_tokens=args.output, reasoning_tokens=args.reasoning,
                cached_tokens=cached_tokens, cached_share=cached_share, batch=args.batch,
                calls=args.calls, action_price=args.action_price, tokenizer=args.tokenizer,
                counts={model: counts[model][position] for model in models},
            )
        except ValueError as err:
            raise CommandError(f"{name}: {err}") from err
        reports.append(report)
        for total, row in zip(totals, report.rows):
            _add_row(total, row, args)
    return Estimate(inputs.names, reports, totals, inputs.skipped)


def _add_row(total: ModelTotal, row: Any, args: argparse.Namespace) -> None:
    total.files += 1
    total.calls += row.calls
    total.input_tokens += row.usage.input_tokens * row.calls
    total.output_tokens += row.usage.output_tokens * row.calls
    total.reasoning_tokens += row.usage.reasoning_tokens * row.calls
    total.cached_tokens += row.usage.cache_read_tokens * row.calls
    total.total_cost += row.total_cost
    total.exact = total.exact and row.count.exact
    if row.count.method not in total.methods:
        total.methods.append(row.count.method)
    if args.action_price is not None:
        total.action_total = (total.action_total or Decimal(0)) + args.action_price * row.calls


# ====================
# Output
# ====================


def _plain(amount: Decimal) -> str:
    """Return an exact decimal string without an exponent, e.g. ``0.0000125``."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def file_records(result: Estimate) -> list[dict[str, Any]]:
    """Return one record per input and model, with exact amounts as strings."""
    records = []
    for name, report in zip(result.names, result.reports):
        for row in report.rows:
            record: dict[str, Any] = {
                "path": name,
                "model": row.model,
                "input_tokens": row.count.tokens,
                "exact": row.count.exact,
                "output_tokens": row.usage.output_tokens,
                "reasoning_tokens": row.usage.reasoning_tokens,
                "cached_tokens": row.usage.cache_read_tokens,
                "cost_per_call": _plain(row.cost.total),
                "calls": row.calls,
                "total_cost": _plain(row.total_cost),
            }
            if row.break_even is not None:
                tokens = row.break_even.break_even_output_tokens
                record["break_even_output_tokens"] = None if tokens is None else _plain(tokens)
                record["cheaper"] = row.break_even.cheaper
            records.append(record)
    return records


def total_records(result: Estimate) -> list[dict[str, Any]]:
    """Return one record per model with its totals, with exact amounts as strings."""
    records = []
    for total in result.totals:
        record: dict[str, Any] = {
            "model": total.model,
            "provider": total.provider,
            "model_id": total.model_id,
            "files": total.files,
            "calls": total.calls,
            "input_tokens": total.input_tokens,
            "exact": total.exact,
            "method": "; ".join(total.methods),
            "output_tokens": total.output_tokens,
            "reasoning_tokens": total.reasoning_tokens,
            "cached_tokens": total.cached_tokens,
            "total_cost": _plain(total.total_cost),
        }
        if total.action_total is not None:
            record["action_total"] = _plain(total.action_total)
            record["cheaper"] = total.cheaper
        records.append(record)
    return records


def render_json(result: Estimate, budget: Decimal | None) -> str:
    """Return the estimate as a JSON document."""
    from .prices import price_data_info

    info = price_data_info()
    document = {
        "price_data": {"source": info.source, "version": info.version,
                       "as_of": info.as_of.isoformat() if info.as_of else None},
        "models": total_records(result),
        "files": file_records(result),
        "skipped": [{"path": path, "reason": reason} for path, reason in result.skipped],
        "warnings": result.warnings,
        "budget": None if budget is None else {
            "limit": _plain(budget),
            "over": [total.model for total in result.totals if total.total_cost > budget],
        },
    }
    return json.dumps(document, indent=2)


def render_csv(result: Estimate, *, totals_only: bool) -> str:
    """Return one CSV row per file and model, then one ``(total)`` row per model."""
    buffer = io.StringIO()
    records = [] if totals_only else file_records(result)
    for total in total_records(result):
        records.append({"path": "(total)", "model": total["model"],
                        "input_tokens": total["input_tokens"], "exact": total["exact"],
                        "output_tokens": total["output_tokens"],
                        "reasoning_tokens": total["reasoning_tokens"],
                        "cached_tokens": total["cached_tokens"], "cost_per_call": "",
                        "calls": total["calls"], "total_cost": total["total_cost"],
                        **({"cheaper": total["cheaper"]} if "cheaper" in total else {})})
    header = list(dict.fromkeys(key for record in records for key in record))
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def render_table(result: Estimate, *, totals_only: bool) -> str:
    """Return fixed-width tables: per file (unless ``totals_only``), then per model."""
    from .display import format_money

    sections = []
    if not totals_only and len(result.names) > 1:
        rows = [[name, row.model, _tokens(row.count.tokens, row.count.exact),
                 format_money(row.cost.total), format_money(row.total_cost)]
                for name, report in zip(result.names, result.reports) for row in report.rows]
        header = ["File", "Model", "Input tokens", "Per call", "Total"]
        sections.append(_aligned(header, rows, text_columns=2))
    header = ["Model", "Files", "Calls", "Input tokens", "Output tokens", "Total"]
    with_action = any(total.action_total is not None for total in result.totals)
    if with_action:
        header += ["Per-action total", "Cheaper"]
    rows = []
    for total in result.totals:
        cells = [total.model, f"{total.files:,}", f"{total.calls:,}",
                 _tokens(total.input_tokens, total.exact),
                 f"{total.output_tokens + total.reasoning_tokens:,}",
                 format_money(total.total_cost)]
        if with_action and total.action_total is not None:
            cells += [format_money(total.action_total), total.cheaper or ""]
        rows.append(cells)
    sections.append(_aligned(header, rows, text_columns=1))
    sections.append("\n".join(_notes(result)))
    return "\n\n".join(sections) + "\n"


def _tokens(count: int, exact: bool) -> str:
    return f"{count:,}" if exact else f"≈{count:,}"


def _aligned(header: list[str], rows: list[list[str]], *, text_columns: int) -> str:
    """Return a text table whose first ``text_columns`` columns are left-aligned, the rest right."""
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(header, widths)).rstrip(),
             "  ".join("-" * width for width in widths)]
    for row in rows:
        cells = [cell.ljust(width) if index < text_columns else cell.rjust(width)
                 for index, (cell, width) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _notes(result: Estimate) -> list[str]:
    from .prices import price_data_info

    info = price_data_info()
    notes = [f"Warning: {warning}" for warning in result.warnings]
    notes.append(f"Prices: {info.label}.")
    for total in result.totals:
        kind = "exact" if total.exact else "estimated"
        methods = f" ({'; '.join(total.methods)})" if total.methods else ""
        notes.append(f"{total.model}: input tokens {kind}{methods}.")
    if result.reports and result.reports[0].rows[0].batch:
        notes.append("Batch discount applied.")
    return notes


# ====================
# Entry point
# ====================


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except CommandError as err:
        print(f"llmcost: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("llmcost: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of standard output (e.g. head) exited. Point stdout at /dev/null so that
        # the interpreter's final flush does not fail again, and stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from .bulk import WorkerProcessError
    from .counting import InvalidTokenizerError
    from .costs import BatchNotAvailableError
    from .prices import UnknownModelError

    try:
        if args.list_models is not None:
            _print_models(args.list_models)
            return EXIT_OK
        models = _models(args.model)
        inputs = read_inputs(args.paths, encoding=args.encoding, hidden=args.hidden,
                             stdin=sys.stdin)
        result = price_inputs(inputs, models, args)
    except UnknownModelError as err:
        raise CommandError(str(err)) from err
    except (InvalidTokenizerError, BatchNotAvailableError, WorkerProcessError) as err:
        raise CommandError(str(err)) from err
    except ModuleNotFoundError as err:  # an optional tokenizer back end is missing
        raise CommandError(str(err)) from err
    _print(result, args)
    return _check_budget(result, args.budget)


def _models(values: list[str]) -> list[str]:
    from .prices import UnknownModelError, get_rate_card

    models = [model.strip() for value in values for model in value.split(",") if model.strip()]
    if not models:
        raise CommandError("name at least one model with -m, for example: llmcost -m gpt-4o "
                           "prompt.txt (list models with: llmcost --list-models QUERY)")
    models = list(dict.fromkeys(models))
    for model in models:
        try:
            get_rate_card(model)
        except UnknownModelError as err:
            raise CommandError(_unknown_model_message(model, err.suggestions)) from err
    return models


def _unknown_model_message(model: str, suggestions: list[str]) -> str:
    message = f"unknown model {model!r}."
    if suggestions:
        message += f" Did you mean: {', '.join(suggestions)}?"
    return message + " List models with: llmcost --list-models QUERY"


def _print_models(query: str) -> None:
    from .display import format_rate
    from .prices import search_models

    found = search_models(query)
    rows = [[m.model_id, m.provider_id, format_rate(m.input), format_rate(m.output),
             f"{m.context_window:,}" if m.context_window else ""] for m in found]
    if not rows:
        print(f"No model matches {query!r}.")
        return
    print(_aligned(["Model", "Provider", "Input", "Output", "Context"], rows, text_columns=2))


def _print(result: Estimate, args: argparse.Namespace) -> None:
    for path, reason in result.skipped:
        print(f"llmcost: skipped {path}: {reason}", file=sys.stderr)
    for warning in result.warnings:
        print(f"llmcost: warning: {warning}", file=sys.stderr)
    if args.format == "json":
        output = render_json(result, args.budget) + "\n"
    elif args.format == "csv":
        output = render_csv(result, totals_only=args.totals)
    else:
        output = render_table(result, totals_only=args.totals)
    sys.stdout.write(output)
    sys.stdout.flush()


def _check_budget(result: Estimate, budget: Decimal | None) -> int:
    from .display import format_money

    if budget is None:
        return EXIT_OK
    over = [total for total in result.totals if total.total_cost > budget]
    for total in over:
        calls = f"{total.calls:,} call" + ("" if total.calls == 1 else "s")
        print(f"llmcost: over budget: {total.model} costs {format_money(total.total_cost)} for "
              f"{calls}, more than {format_money(budget)}", file=sys.stderr)
    return EXIT_OVER_BUDGET if over else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
