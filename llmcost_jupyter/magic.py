"""The ``%%llmcost`` cell magic and the ``%llmcost`` line magic.

The magic only parses its options and delegates to ``report.estimate`` and the
other library functions; every user mistake becomes an IPython ``UsageError``.
"""

from __future__ import annotations

import argparse
import builtins
import keyword
import math
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display
from traitlets import Float, Int, List, TraitError, Unicode, observe, validate

from . import counting, prices
from .costs import BatchNotAvailableError, InvalidUsageError
from .counting import InvalidTokenizerError
from .display import Notice, Table, format_money, format_rate, plural, rate_card_table
from .ledger import session_ledger
from .options import amount, split_cache, tokens_or_share, whole_number
from .remote_count import RemoteCountError
from .report import CACHE_TTLS, CostReport, InvalidRequestError, estimate, parse_money
from .tasks import InvalidTaskError, UnknownTaskError, get_task, task_options
from .templating import fill_placeholders

# Errors that a user's input causes; the magic shows their message without a traceback.
USER_ERRORS: tuple[type[Exception], ...] = (
    InvalidRequestError,
    InvalidUsageError,
    BatchNotAvailableError,
    InvalidTokenizerError,
    RemoteCountError,
    prices.UnknownModelError,
    prices.InvalidRateError,
    UnknownTaskError,
    InvalidTaskError,
)

LINE_COMMANDS = ("models", "rates", "defaults", "ledger", "budget", "frame")


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the library's errors about user input into ``UsageError``."""
    try:
        yield
    except USER_ERRORS as err:
        message = err.args[0] if isinstance(err, LookupError) and err.args else str(err)
        raise UsageError(str(message)) from err


@magics_class
class LLMCostMagics(Magics):
    """Count and price LLM prompts in IPython. Defaults are settable with ``%config``."""

    default_models = List(
        Unicode(), default_value=[],
        help="Models priced when a %%llmcost cell names none, for example ['gpt-4o'].",
    ).tag(config=True)
    default_output_tokens = Int(
        0, help="Output tokens per call when a cell gives no --output."
    ).tag(config=True)
    default_reasoning_tokens = Int(
        0, help="Reasoning tokens per call when a cell gives no --reasoning."
    ).tag(config=True)
    default_calls = Int(
        1, help="Number of calls priced when a cell gives no --calls, e.g. a monthly volume."
    ).tag(config=True)
    cell_budget = Unicode(
        "", help="Warn when a cell's total for all calls passes this amount in USD ('' for none)."
    ).tag(config=True)
    session_budget = Unicode(
        "", help="Warn when the session ledger's total passes this amount in USD ('' for none)."
    ).tag(config=True)
    chars_per_token = Float(
        0.0,
        help="Characters per token for estimated counts (models without a public tokenizer); "
        "0 keeps the built-in ratios.",
    ).tag(config=True)
    @validate("chars_per_token")
    def _check_chars_per_token(self, proposal):
        value = proposal["value"]
        if value != 0 and not (math.isfinite(value) and value > 0):
            raise TraitError(f"chars_per_token must be a number above 0 (or 0 for the built-in "
                             f"ratios), got {value}")
        return value

    @observe("chars_per_token")
    def _chars_per_token_changed(self, change) -> None:
        if change["new"]:
            counting.set_estimate_ratio(change["new"])
        else:
            counting.reset_estimate_ratios()

    anthropic_base_url = Unicode(
        "https://api.anthropic.com",
        help="Base URL of Anthropic's API, used only by --remote-count.",
    ).tag(config=True)

    # The name gets a "%" prefix in the usage line, so this shows "%%llmcost".
    @magic_arguments(name="%llmcost")
    @argument("models", nargs="*", help="Model ids to price, e.g. gpt-4o claude-sonnet-4-5.")
    @argument("-o", "--output", type=whole_number, default=None, metavar="TOKENS",
              help="Output tokens per call (visible answer, without reasoning).")
    @argument("-r", "--reasoning", type=whole_number, default=None, metavar="TOKENS",
              help="Hidden reasoning tokens per call, billed at the reasoning rate.")
    @argument("--cached", type=tokens_or_share, default=None, metavar="TOKENS|PCT%",
              help="Prompt tokens read from the cache per call: a count or a share, e.g. 40%%.")
    @argument("--cache-write", type=tokens_or_share, default=None, metavar="TOKENS|PCT%",
              help="Prompt tokens written to the cache per call: a count or a share.")
    @argument("--cache-ttl", choices=CACHE_TTLS, default="5m",
              help="Lifetime of cache writes: 5m or 1h (default 5m).")
    @argument("--batch", action="store_true", help="Apply the provider's batch discount.")
    @argument("-n", "--calls", type=whole_number, default=None, metavar="N",
              help="Number of calls to price, e.g. a month's volume (default 1).")
    @argument("-p", "--action-price", type=amount, default=None, metavar="USD",
              help="A vendor's fixed price per action to compare with, in USD.")
    @argument("--tokenizer", default=None, metavar="FILE|ENCODING",
              help="Count with this tokenizer: a tokenizer.json path or a tiktoken encoding name.")
    @argument("--chat", choices=("auto", "on", "off"), default="auto",
              help="Count 'system:/user:/assistant:' lines as chat messages with framing "
              "overhead (auto: when the cell is written that way).")
    @argument("--raw", action="store_true",
              help="Keep {name} placeholders as written instead of filling them.")
    @argument("--task", default=None, metavar="NAME",
              help="Use a saved task's tokens, cached share, monthly volume and per-action "
              "price; options given in the cell override them. A blank cell, or the line "
              "magic %%llmcost MODEL --task NAME, uses the task's sample prompt or typical "
              "input tokens.")
    @argument("--label", default=None,
              help="Task label for the session ledger (default: the --task name).")
    @argument("--budget", type=amount, default=None, metavar="USD",
              help="Warn when this cell's total for all calls passes this amount.")
    @argument("--out", default=None, metavar="NAME",
              help="Also store the result in the variable NAME.")
    @argument("--show-tokens", action="store_true",
              help="Show the prompt's token boundaries in colour (exact tokenizers only).")
    @argument("--remote-count", action="store_true",
              help="Count Anthropic models exactly with Anthropic's count_tokens API. This "
              "sends the prompt to Anthropic; it needs ANTHROPIC_API_KEY.")
    @line_cell_magic
    def llmcost(self, line: str, cell: str | None = None):
        """Count and price a prompt for one or more models.

        Cell magic::

            %%llmcost gpt-4o claude-sonnet-4-5 --output 800 --calls 10000 --action-price 2.50
            Review this contract and list every clause that limits liability:
            {contract_text}

        {name} and {name.attr} are filled from your variables; nothing is called or
        evaluated. Write {{ and }} for literal braces, or use --raw.

        Line magic::

            %llmcost MODEL [MODEL ...] --task NAME [options]   price a saved task
            %llmcost models [QUERY] [--provider ID] [--limit N]   search catalog models
            %llmcost rates MODEL                       show one model's rates
            %llmcost defaults [--output N] [--reasoning N] [--calls N] [--models M ...]
                              [--chars-per-token X] [--reset]
            %llmcost ledger [--csv PATH] [--clear]     cost per task and per model
            %llmcost budget [--session USD|off] [--cell USD|off]
            %llmcost frame DF.COLUMN MODEL [MODEL ...] [-o N|COLUMN] [-r N|COLUMN]
                           [--cached N|PCT%] [--batch] [-n CALLS_PER_ROW] [--out NAME]
                                                       price every row of a DataFrame column
        """
        if cell is None:
            return self._line(line)
        with user_errors():
            args = self.llmcost.parser.parse_args(_split_line(line))
            self._price_cell(args, cell)
        return None

    # -- the cell magic ----------------------------------------------------------------------

    def _price_cell(self, args: argparse.Namespace, cell: str) -> None:
        if args.out:
            _check_variable_name(args.out)
        models = args.models or list(self.default_models)
        if not models:
            raise UsageError(
                "Name at least one model, for example: %%llmcost gpt-4o --output 500 "
                "(or set defaults with %llmcost defaults --models gpt-4o)."
            )
        self._apply_budget()

        prompt, notices = self._prompt(cell, raw=args.raw)
        if args.task:
            prompt = _task_prompt(args.task, prompt, notices)
        counts, chat_note = self._counts(prompt, models, args)
        if chat_note:
            notices.append(Notice(chat_note))
        report = _with_notices(self._estimate(prompt, models, args, counts), notices)

        budget_warnings = session_ledger().record(report, cell_budget=self._cell_budget(args))
        display(report)
        for warning in budget_warnings:
            display(Notice(warning, warning=True))
        if args.show_tokens:
            self._show_tokens(prompt, models, args.tokenizer)
        if args.out:
            self._store(args.out, report)

    def _prompt(self, cell: str, *, raw: bool) -> tuple[str, list[Notice]]:
        # IPython ends every cell body with a newline that the user did not type.
        cell = cell.removesuffix("\n")
        if raw:
            return cell, []
        filled = fill_placeholders(cell, self.shell.user_ns)
        notices = [
            Notice(f"{{{name}}} was left as written: {reason}. Write {{{{{name}}}}} to keep "
                   f"braces literal, or use --raw.")
            for name, reason in filled.unresolved
        ]
        notices += [
            Notice(f"{{{name}}} is a {kind}, filled with its display text, which shortens large "
                   f"objects. Convert it to the exact text you will send (for example with "
                   f"to_csv() or to_json()) for a true count.", warning=True)
            for name, kind in filled.abridged
        ]
        return filled.text, notices

    def _counts(self, prompt: str, models: list[str], args: argparse.Namespace):
        from .chat import count_chat, parse_chat

        counts = {}
        note = None
        messages = None if args.chat == "off" else parse_chat(prompt)
        if args.chat == "on" and messages is None:
            raise UsageError("--chat on needs lines that start with 'system:', 'user:' or "
                             "'assistant:'; this cell has none. Use --chat off for plain text.")
        remote = self._remote_counts(messages or prompt, models) if args.remote_count else {}
        if messages is not None:
            framed = [m for m in models if m not in remote]
            counts = {m: count_chat(messages, m, tokenizer=args.tokenizer) for m in framed}
            if framed:
                note = (f"{', '.join(framed)}: counted as "
                        f"{plural(len(messages), 'chat message')} with estimated framing "
                        "overhead (--chat off counts the cell as plain text).")
        counts.update(remote)
        return counts, note

    def _remote_counts(self, prompt, models: list[str]):
        from .remote_count import count_tokens_anthropic

        anthropic = [m for m in models if prices.get_rate_card(m).provider_id == "anthropic"]
        if not anthropic:
            raise UsageError("--remote-count counts Anthropic models only; none of "
                             f"{', '.join(models)} is an Anthropic model.")
        return {
            model: count_tokens_anthropic(prompt, model, base_url=self.anthropic_base_url)
            for model in anthropic
        }

    def _estimate(self, prompt: str, models: list[str], args: argparse.Namespace, counts):
        options: dict = {
            "output_tokens": self.default_output_tokens,
            "reasoning_tokens": self.default_reasoning_tokens,
            "calls": self.default_calls,
        }
        if args.task:
            options.update(_task_options(args.task, models, counted_prompt=bool(prompt.strip())))
        explicit = {
            "output_tokens": args.output,
            "reasoning_tokens": args.reasoning,
            "calls": args.calls,
            "action_price": args.action_price,
            "label": args.label,
        }
        options.update({name: value for name, value in explicit.items() if value is not None})
        if args.cached is not None:
            options["cached_tokens"], options["cached_share"] = split_cache(args.cached)
        write_tokens, write_share = split_cache(args.cache_write)
        options["counts"] = {**options.get("counts", {}), **counts}
        return estimate(
            prompt,
            models,
            cache_write_tokens=write_tokens,
            cache_write_share=write_share,
            cache_ttl=args.cache_ttl,
            batch=args.batch,
            tokenizer=args.tokenizer,
            **options,
        )

    def _cell_budget(self, args: argparse.Namespace) -> Decimal | None:
        if args.budget is not None:
            return args.budget
        return parse_money("cell_budget", self.cell_budget) if self.cell_budget else None

    def _apply_budget(self) -> None:
        budget = self.session_budget
        session_ledger().session_budget = parse_money("session_budget", budget) if budget else None

    def _show_tokens(self, prompt: str, models: list[str], tokenizer) -> None:
        from .boundaries import boundaries_html, boundaries_text

        shown = set()
        for model in models:
            found = counting.get_tokenizer(model, tokenizer=tokenizer)
            if found is None:
                display(Notice(f"{model} has no public tokenizer, so its token boundaries "
                               "cannot be shown exactly."))
                continue
            if found.name in shown:
                continue
            shown.add(found.name)
            display(_Boundaries(boundaries_html(prompt, model, tokenizer=tokenizer),
                                boundaries_text(prompt, model, tokenizer=tokenizer)))

    def _store(self, name: str, result: object) -> None:
        _check_variable_name(name)
        self.shell.user_ns[name] = result

    # -- the line magic ----------------------------------------------------------------------

    def _line(self, line: str):
        words = _split_line(line)
        if not words:
            raise UsageError(
                f"%llmcost needs a command: one of {', '.join(LINE_COMMANDS)}. "
                "For pricing a prompt, use the cell magic %%llmcost MODEL."
            )
        command, rest = words[0], words[1:]
        if command not in LINE_COMMANDS and "--task" in words:
            # IPython rejects a cell magic with an empty body, so a saved task with no
            # prompt to count is priced from the line magic.
            with user_errors():
                self._price_cell(self.llmcost.parser.parse_args(words), "")
            return None
        handler = getattr(self, f"_command_{command}", None)
        if command not in LINE_COMMANDS or handler is None:
            from difflib import get_close_matches

            close = get_close_matches(command, LINE_COMMANDS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            if not close and not command.startswith("-"):
                hint = (" To price a prompt, use the cell magic %%llmcost MODEL; to price a "
                        "saved task, %llmcost MODEL --task NAME.")
            raise UsageError(
                f"Unknown %llmcost command {command!r}.{hint} "
                f"Commands: {', '.join(LINE_COMMANDS)}."
            )
        with user_errors():
            return handler(rest)

    def _command_models(self, words: list[str]):
        parser = _LineParser(prog="%llmcost models")
        parser.add_argument("query", nargs="?", default="")
        parser.add_argument("--provider", default=None)
        parser.add_argument("--limit", type=whole_number, default=40)
        args = parser.parse_args(words)
        found = prices.search_models(args.query, provider=args.provider)
        rows = [[m.model_id, m.provider_name, format_rate(m.input), format_rate(m.output),
                 f"{m.context_window:,}" if m.context_window else ""] for m in found[: args.limit]]
        notes = []
        if len(found) > len(rows):
            notes = [f"{len(found)} models match; showing {len(rows)}."]
        if not found:
            notes = [f"No model matches {args.query!r}."]
        title = f"Models matching {args.query!r}" if args.query else "Models"
        display(Table(title, ["Model", "Provider", "Input", "Output", "Context"], rows, notes))

    def _command_rates(self, words: list[str]):
        parser = _LineParser(prog="%llmcost rates")
        parser.add_argument("model")
        args = parser.parse_args(words)
        display(rate_card_table(prices.get_rate_card(args.model)))

    def _command_defaults(self, words: list[str]):
        parser = _LineParser(prog="%llmcost defaults")
        parser.add_argument("--models", nargs="+", default=None)
        parser.add_argument("--output", type=whole_number, default=None)
        parser.add_argument("--reasoning", type=whole_number, default=None)
        parser.add_argument("--calls", type=whole_number, default=None)
        parser.add_argument("--chars-per-token", type=float, default=None)
        parser.add_argument("--reset", action="store_true")
        args = parser.parse_args(words)
        if args.reset:
            for name in ("default_models", "default_output_tokens", "default_reasoning_tokens",
                         "default_calls", "chars_per_token"):
                self.set_trait(name, self.trait_defaults(name))
            counting.reset_estimate_ratios()
        if args.models is not None:
            for model in args.models:
                prices.get_rate_card(model)
            self.default_models = args.models
        for option, trait in (("output", "default_output_tokens"),
                              ("reasoning", "default_reasoning_tokens"),
                              ("calls", "default_calls")):
            value = getattr(args, option)
            if value is not None:
                self.set_trait(trait, value)
        if args.chars_per_token is not None:
            try:
                self.chars_per_token = args.chars_per_token
            except TraitError as err:
                raise UsageError(str(err)) from None
        display(self._defaults_table())

    def _defaults_table(self) -> Table:
        rows = [
            ["models", ", ".join(self.default_models) or "(none)"],
            ["output tokens", f"{self.default_output_tokens:,}"],
            ["reasoning tokens", f"{self.default_reasoning_tokens:,}"],
            ["calls", f"{self.default_calls:,}"],
            ["characters per token (estimates)",
             str(self.chars_per_token) if self.chars_per_token else "built-in ratios"],
        ]
        return Table("%llmcost defaults", ["Setting", "Value"], rows,
                     ["Change them here or with %config LLMCostMagics.<name> = value."])

    def _command_ledger(self, words: list[str]):
        parser = _LineParser(prog="%llmcost ledger")
        parser.add_argument("--csv", default=None, metavar="PATH")
        parser.add_argument("--clear", action="store_true")
        args = parser.parse_args(words)
        ledger = session_ledger()
        if args.csv:
            try:
                ledger.to_csv(args.csv)
            except OSError as err:
                raise UsageError(
                    f"Could not write the ledger to {args.csv!r}: {err.strerror}."
                ) from err
            display(Notice(f"Wrote {len(ledger.entries)} ledger rows to {args.csv}."))
        if args.clear:
            ledger.clear()
            display(Notice("The session ledger is now empty."))
            return
        display(_LedgerView(ledger))

    def _command_budget(self, words: list[str]):
        parser = _LineParser(prog="%llmcost budget")
        parser.add_argument("--session", default=None, metavar="USD|off")
        parser.add_argument("--cell", default=None, metavar="USD|off")
        args = parser.parse_args(words)
        for option, trait in (("session", "session_budget"), ("cell", "cell_budget")):
            value = getattr(args, option)
            if value is None:
                continue
            if value.lower() in ("off", "none", ""):
                self.set_trait(trait, "")
            else:
                self.set_trait(trait, str(parse_money(f"{option} budget", value)))
        self._apply_budget()
        session = format_money(Decimal(self.session_budget)) if self.session_budget else "none"
        cell = format_money(Decimal(self.cell_budget)) if self.cell_budget else "none"
        spent = format_money(session_ledger().total())
        display(Notice(f"Budgets: session {session} (spent so far {spent}), per cell {cell}."))


    def _command_frame(self, words: list[str]):
        from .bulk import price_frame

        parser = _LineParser(prog="%llmcost frame")
        parser.add_argument("target", metavar="DF.COLUMN")
        parser.add_argument("models", nargs="+")
        parser.add_argument("-o", "--output", default="0", metavar="N|COLUMN")
        parser.add_argument("-r", "--reasoning", default="0", metavar="N|COLUMN")
        parser.add_argument("--cached", type=tokens_or_share, default=None)
        parser.add_argument("--batch", action="store_true")
        parser.add_argument("-n", "--calls", type=whole_number, default=1)
        parser.add_argument("--workers", type=whole_number, default=None)
        parser.add_argument("--out", default=None, metavar="NAME")
        args = parser.parse_args(words)
        if args.out:
            _check_variable_name(args.out)
        name, _, column = args.target.rpartition(".")
        if not name or not column:
            raise UsageError(f"Name the column as DF.COLUMN, for example tickets.body; "
                             f"got {args.target!r}.")
        if name not in self.shell.user_ns:
            raise UsageError(f"No variable named {name!r}: create the DataFrame first.")
        frame = self.shell.user_ns[name]
        if column not in getattr(frame, "columns", ()):
            raise UsageError(f"{name} has no column {column!r}; its columns are "
                             f"{', '.join(map(str, getattr(frame, 'columns', [])))}.")
        cached_tokens, cached_share = split_cache(args.cached)
        result = price_frame(
            frame,
            column,
            args.models,
            output_tokens=_number_or_column(args.output),
            reasoning_tokens=_number_or_column(args.reasoning),
            cached_tokens=cached_tokens,
            cached_share=cached_share,
            batch=args.batch,
            calls_per_row=args.calls,
            workers=args.workers or None,
        )
        display(result)
        if args.out:
            self._store(args.out, result)


class _LineParser(argparse.ArgumentParser):
    """An argument parser whose errors become ``UsageError`` instead of exiting."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog=prog, add_help=False)

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message}\n{self.format_usage().strip()}")


class _LedgerView:
    def __init__(self, ledger) -> None:
        self.ledger = ledger

    def _repr_html_(self) -> str:
        return self.ledger.render_html()

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.ledger.render_text())


class _Boundaries:
    def __init__(self, html_text: str, plain: str) -> None:
        self.html_text = html_text
        self.plain = plain

    def _repr_html_(self) -> str:
        return self.html_text

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.plain)


def _check_variable_name(name: str) -> None:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise UsageError(f"--out needs a Python variable name, got {name!r}")
    if hasattr(builtins, name):
        raise UsageError(f"--out {name} would hide Python's built-in {name}; choose another name.")


def _task_prompt(name: str, prompt: str, notices: list[Notice]) -> str:
    """Return the prompt to count for a saved task, noting retries the cost leaves out."""
    task = get_task(name)
    if task.failure_rate:
        notices.append(Notice(
            f"Task {task.name!r} fails and is retried "
            f"{(task.failure_rate * 100).normalize():f}% of the time; these costs are per "
            "attempt. choosing.task_cost prices the retries per successful task."))
    return prompt if prompt.strip() else task.sample_prompt or ""


def _number_or_column(text: str) -> int | str:
    """Read a token option that is either a whole number or a column name."""
    try:
        return whole_number(text)
    except argparse.ArgumentTypeError:
        return text


def _split_line(line: str) -> list[str]:
    # IPython's own argument splitting keeps quotes on POSIX, so --label 'a b' would keep them.
    try:
        return shlex.split(line)
    except ValueError as err:
        raise UsageError(f"Could not read the options {line!r}: {err}.") from None


def _task_options(name: str, models: list[str], *, counted_prompt: bool) -> dict:
    options = task_options(get_task(name), models)
    if counted_prompt:
        # The cell's own text is counted, so the task's typical input tokens do not apply.
        options.pop("counts", None)
    return options


def _with_notices(report: CostReport, notices: list[Notice]) -> CostReport:
    """Add the cell's notices to the report: warnings above the table, notes under it."""
    from dataclasses import replace

    warnings = tuple(notice.text for notice in notices if notice.warning)
    notes = tuple(notice.text for notice in notices if not notice.warning)
    return replace(report, warnings=warnings + report.warnings, notes=notes + report.notes)
