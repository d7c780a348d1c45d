"""The %%llmcost and %llmcost magics, driven through a real IPython shell."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from llmcost_jupyter import CostReport, estimate, session_ledger
from llmcost_jupyter._vocab import get_encoding
from llmcost_jupyter.magic import LLMCostMagics

PROMPT = "Review the following contract and list every clause that limits liability:\n"


def run_cell(shell, line: str, cell: str):
    """Run ``%%llmcost line`` and return the displayed outputs."""
    with capture_output() as captured:
        shell.run_cell_magic("llmcost", line, cell)
    return captured.outputs


def html_of(outputs) -> str:
    return "\n".join(output.data.get("text/html", "") for output in outputs)


def text_of(outputs) -> str:
    return "\n".join(output.data.get("text/plain", "") for output in outputs)


def test_cell_prices_every_model(shell):
    outputs = run_cell(shell, "gpt-4o claude-sonnet-4-5 --output 800 --calls 10000 "
                              "--action-price 2.50 --out review", PROMPT)
    report = shell.user_ns["review"]
    assert isinstance(report, CostReport)
    assert [row.model for row in report] == ["gpt-4o", "claude-sonnet-4-5"]
    assert report["gpt-4o"].count.exact is True
    assert report["gpt-4o"].count.tokens == len(get_encoding("o200k_base").encode_ordinary(PROMPT))
    assert report["claude-sonnet-4-5"].count.exact is False
    assert report["gpt-4o"].total_cost == report["gpt-4o"].cost.total * 10000
    assert report.action_price == Decimal("2.50")
    page = html_of(outputs)
    assert "exact" in page
    assert "estimated" in page
    assert "Break-even output" in page
    assert "as of" in page


def test_cell_returns_nothing_and_displays_once(shell):
    with capture_output() as captured:
        result = shell.run_cell_magic("llmcost", "gpt-4o", PROMPT)
    assert result is None
    assert len(captured.outputs) == 1


def test_text_output_for_terminal(shell):
    text = text_of(run_cell(shell, "gpt-4o -o 100", PROMPT))
    assert "gpt-4o" in text
    assert "exact" in text
    assert "Prices: genai-prices" in text


def test_placeholders_filled_from_namespace(shell):
    shell.user_ns["contract_text"] = "Clause 7: liability is limited to fees paid."
    run_cell(shell, "gpt-4o --out r", PROMPT + "{contract_text}")
    expected = PROMPT + "Clause 7: liability is limited to fees paid."
    encoding = get_encoding("o200k_base")
    assert shell.user_ns["r"]["gpt-4o"].count.tokens == len(encoding.encode_ordinary(expected))


def test_unresolved_placeholder_noted_not_fatal(shell):
    outputs = run_cell(shell, "gpt-4o", "Summarise {contract_txt}")
    assert "{contract_txt} was left as written" in html_of(outputs)


def test_json_and_code_braces_do_not_crash(shell):
    cell = 'Return JSON like {"clauses": [{"id": 1}]}.\nfunction f() { return x; }\n{{literal}}'
    run_cell(shell, "gpt-4o --out r", cell)
    assert shell.user_ns["r"]["gpt-4o"].count.tokens > 0


def test_raw_keeps_placeholders(shell):
    shell.user_ns["doc"] = "x" * 1000
    run_cell(shell, "gpt-4o --raw --out r", "{doc}")
    encoding = get_encoding("o200k_base")
    assert shell.user_ns["r"]["gpt-4o"].count.tokens == len(encoding.encode_ordinary("{doc}"))


def test_special_token_text_counted_as_text(shell):
    run_cell(shell, "gpt-4o --out r", "before <|endoftext|> after")
    assert shell.user_ns["r"]["gpt-4o"].count.exact


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("gpt4o", "Did you mean"),
        ("gpt-4o --output -5", "0 or more"),
        ("gpt-4o --output lots", "whole number"),
        ("gpt-4o --action-price nan", "USD"),
        ("gpt-4o --action-price -1", "USD"),
        ("gpt-4o --cached 150%", "100%"),
        ("gpt-4o --cached 0.4", "40%"),
        ("gpt-4o --cached 100000", "exceed"),
        ("gpt-4o --cache-ttl 2h", "invalid choice"),
        ("gpt-4o --out 1bad", "variable name"),
        ("gpt-4o --chat on", "system:"),
        ("", "Name at least one model"),
        ("gpt-4o --label 'open", "Could not read the options"),
    ],
)
def test_bad_input_is_usage_error(shell, line, message):
    with pytest.raises(UsageError, match=message):
        shell.run_cell_magic("llmcost", line, PROMPT)


def test_usage_error_shows_no_traceback(shell, capsys):
    result = shell.run_cell("%%llmcost gpt4o\nhello")
    assert isinstance(result.error_in_exec, UsageError)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err


def test_help_is_generated_from_arguments():
    doc = LLMCostMagics.llmcost.__doc__
    for option in ("--output", "--reasoning", "--cached", "--cache-write", "--batch",
                   "--calls", "--action-price", "--tokenizer", "--out", "--show-tokens"):
        assert option in doc, option


def test_cached_share_and_reasoning(shell):
    run_cell(shell, "o4-mini --output 100 --reasoning 2000 --cached 50% --out r", PROMPT * 20)
    row = shell.user_ns["r"]["o4-mini"]
    assert row.usage.cache_read_tokens == row.count.tokens // 2
    assert row.usage.reasoning_tokens == 2000
    assert row.cost.reasoning > 0


def test_batch_discount_halves_openai(shell):
    run_cell(shell, "gpt-4o -o 500 --out plain", PROMPT)
    run_cell(shell, "gpt-4o -o 500 --batch --out batched", PROMPT)
    plain = shell.user_ns["plain"]["gpt-4o"].cost.total
    assert shell.user_ns["batched"]["gpt-4o"].cost.total == plain / 2


def test_chat_cell_adds_framing(shell):
    chat = "system: You are terse.\nuser: Name three primes."
    run_cell(shell, "gpt-4o --out r", chat)
    count = shell.user_ns["r"]["gpt-4o"].count
    assert count.exact is False
    plain = len(get_encoding("o200k_base").encode_ordinary(chat))
    assert count.tokens != plain


def test_show_tokens_displays_boundaries(shell):
    outputs = run_cell(shell, "gpt-4o claude-sonnet-4-5 --show-tokens", "Dr. Smith")
    page = html_of(outputs)
    assert "<span" in page
    assert "no public tokenizer" in page


def test_defaults_used_when_cell_omits_them(shell):
    with capture_output():
        shell.run_line_magic("llmcost", "defaults --models gpt-4o-mini --output 300 --calls 7")
    run_cell(shell, "--out r", PROMPT)
    row = shell.user_ns["r"]["gpt-4o-mini"]
    assert row.usage.output_tokens == 300
    assert row.calls == 7


def test_config_sets_defaults(shell):
    shell.run_line_magic("config", "LLMCostMagics.default_output_tokens = 42")
    run_cell(shell, "gpt-4o --out r", PROMPT)
    assert shell.user_ns["r"]["gpt-4o"].usage.output_tokens == 42


def test_models_search_lists_matches(shell):
    with capture_output() as captured:
        shell.run_line_magic("llmcost", "models gpt-4o")
    assert "gpt-4o-mini" in text_of(captured.outputs)


def test_rates_shows_one_model(shell):
    with capture_output() as captured:
        shell.run_line_magic("llmcost", "rates gpt-4o")
    text = text_of(captured.outputs)
    assert "Input" in text
    assert "/ MTok" in text


def test_unknown_line_command_suggests(shell):
    with pytest.raises(UsageError, match="Did you mean 'ledger'"):
        shell.run_line_magic("llmcost", "leger")


def test_line_option_error_is_usage_error(shell):
    with pytest.raises(UsageError, match="--output"):
        shell.run_line_magic("llmcost", "defaults --output many")


def test_ledger_totals_per_task_and_csv(shell, tmp_path):
    run_cell(shell, "gpt-4o claude-sonnet-4-5 -o 100 -n 10 --label 'ticket triage'", PROMPT)
    run_cell(shell, "gpt-4o -o 100 -n 5 --label summaries", PROMPT)
    ledger = session_ledger()
    assert len(ledger.entries) == 3
    by_task = {(t.group, t.model): t for t in ledger.totals("task")}
    assert by_task[("ticket triage", "gpt-4o")].calls == 10
    assert by_task[("summaries", "gpt-4o")].calls == 5
    by_model = {t.group: t for t in ledger.totals("model")}
    assert by_model["gpt-4o"].calls == 15
    assert ledger.total() == sum((e.total_cost for e in ledger.entries), Decimal(0))
    path = tmp_path / "ledger.csv"
    with capture_output() as captured:
        shell.run_line_magic("llmcost", f"ledger --csv {path}")
    assert path.read_text().count("\n") == 4
    assert "triage" in text_of(captured.outputs)


def test_ledger_keeps_rates_in_force_when_priced(shell):
    run_cell(shell, "gpt-4o -o 1000 --label before", PROMPT)
    before = session_ledger().total()
    from llmcost_jupyter import set_rates

    set_rates("gpt-4o", output="100")
    run_cell(shell, "gpt-4o -o 1000 --label after", PROMPT)
    entries = session_ledger().entries
    assert entries[0].total_cost == before
    assert entries[1].total_cost > entries[0].total_cost


def test_cell_budget_warns(shell):
    outputs = run_cell(shell, "gpt-4o -o 1000 -n 100000 --budget 1", PROMPT)
    assert "over the cell budget of $1.00" in html_of(outputs)


def test_session_budget_warns(shell):
    with capture_output():
        shell.run_line_magic("llmcost", "budget --session 0.50")
    assert not html_of(run_cell(shell, "gpt-4o -o 10", PROMPT)).count("Over budget")
    outputs = run_cell(shell, "gpt-4o -o 1000 -n 10000", PROMPT)
    assert "over the session budget of $0.50" in html_of(outputs)


class _CountTokensHandler(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 - the name http.server looks up
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "key": self.headers["x-api-key"], "body": body})
        payload = json.dumps({"input_tokens": 1234}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def test_remote_count_only_when_asked(shell, monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _CountTokensHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        url = f"http://127.0.0.1:{server.server_port}"
        shell.run_line_magic("config", f"LLMCostMagics.anthropic_base_url = {url!r}")
        run_cell(shell, "claude-sonnet-4-5 --out plain", PROMPT)
        assert _CountTokensHandler.requests == []
        run_cell(shell, "claude-sonnet-4-5 gpt-4o --remote-count --out remote", PROMPT)
    finally:
        server.shutdown()
    assert len(_CountTokensHandler.requests) == 1
    assert _CountTokensHandler.requests[0]["path"] == "/v1/messages/count_tokens"
    assert _CountTokensHandler.requests[0]["key"] == "test-key"
    row = shell.user_ns["remote"]["claude-sonnet-4-5"]
    assert row.count.tokens == 1234
    assert row.count.exact is True
    assert shell.user_ns["plain"]["claude-sonnet-4-5"].count.exact is False


def test_task_supplies_options(shell):
    from llmcost_jupyter.tasks import Task, add_task

    add_task(Task("support-reply", input_tokens=1800, output_tokens=600, reasoning_tokens=50,
                  monthly_volume=20000, action_price="0.40", input_range=(1200, 2400)))
    with capture_output():
        shell.run_line_magic("llmcost", "gpt-4o --task support-reply --out r")
    report = shell.user_ns["r"]
    row = report["gpt-4o"]
    assert row.count.tokens == 1800
    assert row.count.exact is False
    assert row.usage.output_tokens == 600
    assert row.usage.reasoning_tokens == 50
    assert row.calls == 20000
    assert report.action_price == Decimal("0.40")
    assert report.label == "support-reply"


def test_cell_options_override_task(shell):
    from llmcost_jupyter.tasks import Task, add_task

    add_task(Task("support-reply", input_tokens=1800, output_tokens=600, monthly_volume=20000))
    run_cell(shell, "gpt-4o --task support-reply -o 10 -n 3 --label mine --out r", PROMPT)
    row = shell.user_ns["r"]["gpt-4o"]
    assert row.count.exact is True
    assert row.usage.output_tokens == 10
    assert row.calls == 3
    assert shell.user_ns["r"].label == "mine"


def test_task_sample_prompt_counted(shell):
    from llmcost_jupyter.tasks import Task, add_task

    add_task(Task("triage", sample_prompt=PROMPT, output_tokens=5))
    with capture_output():
        shell.run_line_magic("llmcost", "gpt-4o --task triage --out r")
    count = shell.user_ns["r"]["gpt-4o"].count
    assert count.exact is True
    assert count.tokens == len(get_encoding("o200k_base").encode_ordinary(PROMPT))


def test_unknown_task_suggests(shell):
    from llmcost_jupyter.tasks import Task, add_task

    add_task(Task("support-reply", input_tokens=10))
    with pytest.raises(UsageError, match="Did you mean 'support-reply'"):
        shell.run_cell_magic("llmcost", "gpt-4o --task suport-reply", PROMPT)


def test_frame_prices_a_column(shell):
    import pandas as pd

    shell.user_ns["tickets"] = pd.DataFrame({"body": ["My order is late.", "Refund please."],
                                             "answer": [40, 60]})
    with capture_output() as captured:
        shell.run_line_magic("llmcost", "frame tickets.body gpt-4o -o answer -n 2 --out priced")
    priced = shell.user_ns["priced"]
    expected = sum(
        (estimate(text, "gpt-4o", output_tokens=out, calls=2)["gpt-4o"].total_cost
         for text, out in [("My order is late.", 40), ("Refund please.", 60)]),
        Decimal(0),
    )
    assert priced.summary["total_cost"].iloc[0] == expected
    assert len(captured.outputs) == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("frame tickets gpt-4o", "DF.COLUMN"),
        ("frame nothing.body gpt-4o", "No variable named 'nothing'"),
        ("frame tickets.text gpt-4o", "no column 'text'"),
        ("frame tickets.body gpt4o", "Did you mean"),
    ],
)
def test_frame_errors_are_usage_errors(shell, line, message):
    import pandas as pd

    shell.user_ns["tickets"] = pd.DataFrame({"body": ["hello"]})
    with pytest.raises(UsageError, match=message):
        shell.run_line_magic("llmcost", line)


def test_trailing_cell_newline_not_counted(shell):
    run_cell(shell, "gpt-4o --out r", "Hello world\n")
    assert shell.user_ns["r"]["gpt-4o"].count.tokens == 2


@pytest.mark.parametrize("name", ["print", "class", "1bad"])
def test_out_name_checked_before_pricing(shell, name):
    with capture_output() as captured, pytest.raises(UsageError, match="--out"):
        shell.run_cell_magic("llmcost", f"gpt-4o --out {name}", PROMPT)
    assert captured.outputs == []


def test_dataframe_placeholder_warns_shortened(shell):
    import pandas as pd

    shell.user_ns["df"] = pd.DataFrame({"x": range(1000)})
    outputs = run_cell(shell, "gpt-4o", "Summarise {df}")
    assert "display text, which shortens large objects" in html_of(outputs)


@pytest.mark.parametrize("value", ["-3", "nan", "inf", "abc"])
def test_bad_chars_per_token_is_usage_error(shell, value):
    with pytest.raises(UsageError):
        shell.run_line_magic("llmcost", f"defaults --chars-per-token {value}")


def test_config_rejects_bad_ratio(shell):
    from traitlets import TraitError

    magics = shell.magics_manager.registry["LLMCostMagics"]
    with pytest.raises(TraitError, match="above 0"):
        magics.chars_per_token = -2.0


def test_defaults_reset_restores_estimates(shell):
    before = estimate(PROMPT, "claude-sonnet-4-5")["claude-sonnet-4-5"].count
    with capture_output():
        shell.run_line_magic("llmcost", "defaults --chars-per-token 1e308")
    assert estimate(PROMPT, "claude-sonnet-4-5")["claude-sonnet-4-5"].count != before
    with capture_output():
        shell.run_line_magic("llmcost", "defaults --reset")
    assert estimate(PROMPT, "claude-sonnet-4-5")["claude-sonnet-4-5"].count == before


def test_task_failure_rate_noted(shell):
    from llmcost_jupyter.tasks import Task, add_task

    add_task(Task("flaky", input_tokens=100, failure_rate="20%", monthly_volume=10))
    with capture_output() as captured:
        shell.run_line_magic("llmcost", "gpt-4o --task flaky")
    assert "retried 20% of the time" in html_of(captured.outputs)


def test_model_as_line_command_hints_cell_magic(shell):
    with pytest.raises(UsageError, match="cell magic %%llmcost MODEL"):
        shell.run_line_magic("llmcost", "gpt-4o")


def test_cached_negative_is_usage_error(shell):
    with pytest.raises(UsageError, match="token count"):
        shell.run_cell_magic("llmcost", "gpt-4o --cached -5", PROMPT)


def test_ledger_csv_writes_plain_decimals(shell, tmp_path):
    run_cell(shell, "gpt-4o-mini --cached 50% --batch", "hi")
    text = session_ledger().to_csv()
    header, row = text.splitlines()
    assert "cached_tokens" in header
    assert "batch" in header
    assert "E-" not in row


def test_decimal_comma_is_not_thousands(shell):
    run_cell(shell, "gpt-4o -o 1,200 --out r", PROMPT)
    assert shell.user_ns["r"]["gpt-4o"].usage.output_tokens == 1200
    with pytest.raises(UsageError, match="whole number"):
        shell.run_cell_magic("llmcost", "gpt-4o -o 0,50", PROMPT)
