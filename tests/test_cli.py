"""The llmcost command, run as ``python -m llmcost_jupyter`` in a subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost_jupyter import cli
from llmcost_jupyter.counting import count_tokens
from llmcost_jupyter.report import estimate

REPO = Path(__file__).resolve().parent.parent

TICKET = "Hello, my order #4821 was charged twice. Please refund the duplicate $129.99.\n"
CODE = "def refund(order):\n    return order.amount * 2  # duplicate charge\n"


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "llmcost_jupyter", *args], cwd=cwd, env=env,
                          input=stdin if stdin is not None else "", capture_output=True,
                          text=True, timeout=120)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "prompts" / "nested").mkdir(parents=True)
    (tmp_path / "prompts" / "ticket.txt").write_text(TICKET, encoding="utf-8")
    (tmp_path / "prompts" / "nested" / "refund.py").write_text(CODE, encoding="utf-8")
    (tmp_path / "prompts" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "prompts" / "latin1.txt").write_bytes("café crème".encode("latin-1"))
    (tmp_path / "prompts" / ".cache").mkdir()
    (tmp_path / "prompts" / ".cache" / "old.txt").write_text("stale", encoding="utf-8")
    return tmp_path


def test_file_table_shows_totals(folder):
    result = run("-m", "gpt-4o", "prompts/ticket.txt", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "gpt-4o" in result.stdout
    assert f"{count_tokens(TICKET, 'gpt-4o').tokens:,}" in result.stdout
    assert "genai-prices" in result.stdout
    assert result.stderr == ""


def test_folder_is_read_recursively(folder):
    result = run("-m", "gpt-4o", "--format", "json", "prompts", cwd=folder)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    paths = [record["path"] for record in document["files"]]
    # A folder's own files come before its subfolders', each group sorted by name.
    assert paths == [os.path.join("prompts", "ticket.txt"),
                     os.path.join("prompts", "nested", "refund.py")]
    skipped = {Path(item["path"]).name: item["reason"] for item in document["skipped"]}
    assert skipped == {"logo.png": "binary file", "latin1.txt": "not valid utf-8 text"}
    assert "skipped prompts/logo.png: binary file" in result.stderr.replace(os.sep, "/")
    assert "old.txt" not in result.stdout


def test_hidden_and_encoding_options(folder):
    result = run("-m", "gpt-4o", "--format", "json", "--hidden", "--encoding", "latin-1",
                 "prompts", cwd=folder)
    assert result.returncode == 0, result.stderr
    names = {Path(record["path"]).name for record in json.loads(result.stdout)["files"]}
    assert {"old.txt", "latin1.txt", "ticket.txt", "refund.py"} <= names


def test_stdin_is_one_prompt(tmp_path):
    result = run("-m", "gpt-4o", "--format", "json", cwd=tmp_path, stdin=TICKET)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)["files"][0]
    assert record["path"] == "<stdin>"
    assert record["input_tokens"] == count_tokens(TICKET, "gpt-4o").tokens


def test_json_amounts_equal_estimate(folder):
    args = ["-m", "gpt-4o", "-m", "claude-sonnet-4-5", "-o", "300", "-r", "100",
            "--cached", "50%", "--batch", "-n", "1000", "--format", "json"]
    result = run(*args, "prompts/ticket.txt", "prompts/nested/refund.py", cwd=folder)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    for total in document["models"]:
        model = total["model"]
        expected = sum(
            estimate(text, model, output_tokens=300, reasoning_tokens=100, cached_share="50%",
                     batch=True, calls=1000)[model].total_cost
            for text in (TICKET, CODE)
        )
        assert Decimal(total["total_cost"]) == expected
        assert total["calls"] == 2000
        assert total["exact"] == (model == "gpt-4o")
    assert document["price_data"]["source"] == "genai-prices"
    assert document["budget"] is None


def test_csv_rows_and_totals(folder):
    result = run("-m", "gpt-4o,gpt-4o-mini", "--format", "csv", "-p", "0.01",
                 "prompts/ticket.txt", "prompts/nested/refund.py", cwd=folder)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["path"] for row in rows].count("(total)") == 2
    assert len(rows) == 6
    first = rows[0]
    assert first["model"] == "gpt-4o"
    assert Decimal(first["cost_per_call"]) == estimate(TICKET, "gpt-4o")["gpt-4o"].cost.total
    assert first["cheaper"] in ("per-token", "per-action", "equal")
    totals_only = run("-m", "gpt-4o", "--format", "csv", "--totals", "prompts", cwd=folder)
    assert [row["path"] for row in csv.DictReader(io.StringIO(totals_only.stdout))] == ["(total)"]


def test_table_lists_each_file(folder):
    result = run("-m", "gpt-4o", "-m", "claude-sonnet-4-5", "prompts", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "ticket.txt" in result.stdout
    assert "refund.py" in result.stdout
    assert "≈" in result.stdout  # the Claude count is an estimate
    assert "input tokens estimated" in result.stdout


@pytest.mark.parametrize(("budget", "code"), [("0.000001", 3), ("1000", 0)])
def test_budget_exit_code(folder, budget, code):
    result = run("-m", "gpt-4o", "-n", "1000", "--budget", budget, "prompts/ticket.txt",
                 cwd=folder)
    assert result.returncode == code, result.stderr
    assert "gpt-4o" in result.stdout
    assert ("over budget: gpt-4o costs" in result.stderr) == (code == 3)


def test_budget_in_json(folder):
    result = run("-m", "gpt-4o", "--budget", "0", "--format", "json", "prompts", cwd=folder)
    assert result.returncode == 3
    assert json.loads(result.stdout)["budget"] == {"limit": "0", "over": ["gpt-4o"]}


@pytest.mark.parametrize(("args", "message"), [
    (["-m", "gpt-4oo", "prompts"], "unknown model 'gpt-4oo'. Did you mean: gpt-4o"),
    (["-m", "gpt-4o", "missing.txt"], "file not found: missing.txt"),
    (["prompts"], "name at least one model with -m"),
    (["-m", "gpt-4o", "--cached", "lots", "prompts"], "expected a token count such as 1200"),
    (["-m", "gpt-4o", "--cached", "5000", "prompts/ticket.txt"], "cached tokens"),
    (["-m", "gpt-4o", "--tokenizer", "nope.json", "prompts"], "tokenizer file not found"),
    (["-m", "gpt-4o", "--budget", "-3", "prompts"], "expected an amount in USD"),
    (["-m", "gpt-4o", "--encoding", "klingon", "prompts"], "unknown text encoding 'klingon'"),
    (["-m", "gpt-4o", "--format", "xml", "prompts"], "invalid choice: 'xml'"),
])
def test_errors_exit_2_without_traceback(folder, args, message):
    result = run(*args, cwd=folder)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_list_models(tmp_path):
    result = run("--list-models", "sonnet 4.5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "claude-sonnet-4-5" in result.stdout
    assert "$3 / MTok" in result.stdout


def test_large_folder_counts_with_processes(tmp_path, monkeypatch, capsys):
    # In-process, so that the threshold can be lowered: many files through two workers.
    from llmcost_jupyter import parallel_counting

    monkeypatch.setattr(parallel_counting, "PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr(parallel_counting, "MAX_CHUNK_CHARS", 300)
    texts = [f"{TICKET} Ticket number {i}." * (i % 5 + 1) for i in range(40)]
    for number, text in enumerate(texts):
        (tmp_path / f"t{number:02d}.txt").write_text(text, encoding="utf-8")
    code = cli.main(["-m", "gpt-4o", "--workers", "2", "--format", "json", str(tmp_path)])
    assert code == 0
    records = json.loads(capsys.readouterr().out)["files"]
    assert [r["input_tokens"] for r in records] == [count_tokens(t, "gpt-4o").tokens
                                                    for t in texts]


class _InterruptedInput(io.StringIO):
    """Standard input whose read is interrupted, as Ctrl-C interrupts a blocked read."""

    def isatty(self) -> bool:
        return False

    def read(self, *args: object) -> str:
        raise KeyboardInterrupt


def test_interrupt_exits_130(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", _InterruptedInput())
    assert cli.main(["-m", "gpt-4o"]) == 130
    assert "llmcost: interrupted" in capsys.readouterr().err


def test_terminal_stdin_needs_input(monkeypatch, capsys):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    assert cli.main(["-m", "gpt-4o"]) == 2
    assert "no input: give files or folders" in capsys.readouterr().err


def test_only_skipped_files_exit_2(tmp_path, capsys):
    (tmp_path / "bin.dat").write_bytes(b"\x00\x01\x02")
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    code = cli.main(["-m", "gpt-4o", str(tmp_path / "bin.dat"), str(tmp_path / "latin1.txt")])
    output = capsys.readouterr()
    assert code == 2
    assert output.out == ""
    assert "no text input to price: 2 files skipped" in output.err
    assert f"{tmp_path / 'bin.dat'}: binary file" in output.err
    assert f"{tmp_path / 'latin1.txt'}: not valid utf-8 text" in output.err


def test_skipped_files_message_is_capped():
    skipped = [(f"f{number}.bin", "binary file") for number in range(5)]
    message = cli._all_skipped_message(skipped)
    assert message.startswith("no text input to price: 5 files skipped (f0.bin: binary file;")
    assert message.endswith("f2.bin: binary file; and 2 more)")
    assert "f3.bin" not in message


def test_table_note_without_methods():
    total = cli.ModelTotal("gpt-4o", "openai", "gpt-4o")
    table = cli.render_table(cli.Estimate([], [], [total], []), totals_only=True)
    assert "gpt-4o: input tokens exact." in table
    assert "()" not in table


@pytest.mark.parametrize("workers", ["0", "-1", "-20"])
def test_workers_below_one_rejected(workers, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["-m", "gpt-4o", "--workers", workers, "prompt.txt"])
    assert caught.value.code == 2
    assert f"expected 1 or more, got '{workers}'" in capsys.readouterr().err


@pytest.mark.parametrize(("option", "value"), [("--calls", "-1"), ("--output", "-5")])
def test_counts_below_zero_rejected(option, value, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["-m", "gpt-4o", option, value, "prompt.txt"])
    assert caught.value.code == 2
    assert f"expected 0 or more, got '{value}'" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--workers", "--calls"])
def test_count_options_need_whole_numbers(option, capsys):
    with pytest.raises(SystemExit):
        cli.main(["-m", "gpt-4o", option, "2.5", "prompt.txt"])
    assert "expected a whole number, got '2.5'" in capsys.readouterr().err


def test_prompt_over_context_window_warns(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("word " * 140_000)
    result = run("-m", "gpt-4o", "--format", "json", "big.txt", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "context window" in result.stderr
    warnings = json.loads(result.stdout)["warnings"]
    assert len(warnings) == 1
    assert "big.txt: gpt-4o:" in warnings[0]


def test_empty_file_skipped(tmp_path):
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "ticket.txt").write_text(TICKET)
    result = run("-m", "gpt-4o", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "skipped empty.txt: empty file" in result.stderr
