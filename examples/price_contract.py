"""Price a real multi-page contract review with the %%llmcost magic in an IPython shell.

Run it with ``./run demo``. The prompt is the Python license (history, terms and
conditions), the kind of document a legal team asks an LLM to review.
"""

from __future__ import annotations

from pathlib import Path

from IPython.core.interactiveshell import InteractiveShell

CONTRACT = Path(__file__).with_name("data") / "python-license.txt"

CELL = """\
Review the following contract and list every clause that limits liability.
Quote each clause and explain it in one sentence.

{contract_text}
"""


def main() -> None:
    shell = InteractiveShell.instance()
    shell.user_ns["contract_text"] = CONTRACT.read_text(encoding="utf-8")
    shell.run_line_magic("load_ext", "llmcost_jupyter")
    print("%%llmcost gpt-4o claude-sonnet-4-5 gemini-2.5-pro --output 800 --calls 10000 "
          "--action-price 2.50 --label 'contract review'\n")
    result = shell.run_cell_magic(
        "llmcost",
        "gpt-4o claude-sonnet-4-5 gemini-2.5-pro --output 800 --calls 10000 "
        "--action-price 2.50 --label 'contract review' --out review",
        CELL,
    )
    assert result is None
    review = shell.user_ns["review"]
    print(f"\nCheapest per call: {review.cheapest.model}")


if __name__ == "__main__":
    main()
