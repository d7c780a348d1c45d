"""Measure what a %%llmcost user waits for, side by side in one run.

    python benchmarks/bench_magic.py [--repeat N]

Prints: a bare IPython shell start against one that also runs ``%load_ext
llmcost_jupyter`` (fresh processes), the first ``%%llmcost`` cell of a session
(which loads the vocabulary and the price catalog), and a warm cell against raw
tiktoken encoding of the same text.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

TEXT_FILE = Path(__file__).resolve().parent.parent / "examples" / "data" / "python-license.txt"

BARE = "from IPython.core.interactiveshell import InteractiveShell; InteractiveShell.instance()"
WITH_EXTENSION = BARE + ".run_line_magic('load_ext', 'llmcost_jupyter')"
START_PROBE = "import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"


def time_in_fresh_process(code: str, repeat: int) -> float:
    """Return the median seconds that ``code`` takes in a new interpreter."""
    probe = START_PROBE.format(code=code)
    runs = [
        float(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(repeat)
    ]
    return statistics.median(runs)


def time_call(function, repeat: int) -> float:
    """Return the median seconds of ``function()`` over ``repeat`` calls."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure (median shown)")
    repeat = parser.parse_args().repeat

    bare = time_in_fresh_process(BARE, repeat)
    loaded = time_in_fresh_process(WITH_EXTENSION, repeat)

    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    text = TEXT_FILE.read_text(encoding="utf-8")
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "llmcost_jupyter")

    def cell() -> None:
        with capture_output():
            shell.run_cell_magic("llmcost", "gpt-4o --output 500", text)

    first = time_call(cell, 1)
    warm = time_call(cell, repeat)

    from llmcost_jupyter._vocab import get_encoding

    encoding = get_encoding("o200k_base")
    raw = time_call(lambda: encoding.encode_ordinary(text), repeat)

    import tiktoken

    print(f"Python {platform.python_version()}, tiktoken {tiktoken.__version__}, "
          f"{os.cpu_count()} cores, {platform.machine()}; median of {repeat} runs")
    print(f"prompt: {TEXT_FILE.name}, {len(text):,} characters, "
          f"{len(encoding.encode_ordinary(text)):,} o200k_base tokens\n")
    rows = [
        ("IPython shell start, bare", bare, ""),
        ("IPython shell start + %load_ext llmcost_jupyter", loaded,
         f"+{(loaded - bare) * 1000:.1f} ms for the extension"),
        ("first %%llmcost gpt-4o cell (loads vocabulary and prices)", first, ""),
        ("warm %%llmcost gpt-4o cell", warm, f"{warm / raw:.1f}x raw encoding"),
        ("raw tiktoken encode_ordinary of the same text", raw, ""),
    ]
    for name, seconds, note in rows:
        print(f"{name:<60} {seconds * 1000:9.2f} ms  {note}")


if __name__ == "__main__":
    main()
