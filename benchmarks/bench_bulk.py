"""Measure bulk token counting against a plain tiktoken loop, side by side in one run.

    python benchmarks/bench_bulk.py [--repeat N] [--rows N] [--sweep]

Two generated corpora of support-ticket-like rows (English prose, code, log lines and
numbers; the same text on every run) are counted with o200k_base by:

- a plain one-core loop, ``len(enc.encode_ordinary(text))`` for each row;
- ``count_tokens(text, "gpt-4o")`` for each row, the single-prompt path;
- two threads, each looping over half of the rows, and tiktoken's ``encode_ordinary_batch``
  with two threads: the alternatives to worker processes;
- ``count_texts`` (the engine behind ``price_frame``) with 1 and 2 worker processes;
- ``price_frame`` on a DataFrame with 1 and 2 workers, counting and pricing;
- tokencost's ``count_string_tokens``, if tokencost is installed.

Each figure is the median of ``--repeat`` runs, in MB of UTF-8 text per second, with its
ratio to the plain loop. ``--sweep`` also times 2 workers with and without worker processes
at growing input sizes, which is how ``parallel_counting.PARALLEL_MIN_CHARS`` was chosen.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from llmcost_jupyter import bulk, parallel_counting  # noqa: E402
from llmcost_jupyter._vocab import load_encoding  # noqa: E402
from llmcost_jupyter.counting import count_tokens  # noqa: E402

# ====================
# A deterministic support-ticket corpus
# ====================

_SUBJECTS = ("my order", "the invoice", "our account", "the mobile app", "the checkout page",
             "my subscription", "the API key", "the export to CSV", "two-factor login",
             "the shipping label", "a refund", "the dashboard")
_PROBLEMS = ("was charged twice", "shows an error after the last update", "stopped syncing",
             "never arrived", "is much slower than last week", "logs me out every few minutes",
             "returns a 502 from the server", "has the wrong VAT number",
             "cannot be cancelled from the settings page", "shows somebody else's address")
_ASKS = ("Could you look into this today?", "Please refund the duplicate payment.",
         "Is there a workaround until it is fixed?", "We need this resolved before Friday.",
         "Can you escalate this to engineering?", "Thanks in advance for your help.",
         "I attached the logs below.", "Let me know if you need anything else from me.")
_FILLER = ("I have been a customer for years and this is the first time it happens.",
           "Nothing changed on our side as far as I know.",
           "A colleague sees the same thing on a different laptop.",
           "I already cleared the cache and tried another browser.",
           "The status page said everything was operational at the time.")
_CODE = (
    'Traceback (most recent call last):\n  File "/srv/app/billing.py", line {n}, in charge\n'
    "    invoice = Invoice.objects.get(pk={id})\nDoesNotExist: Invoice matching query does not "
    "exist.",
    "SELECT id, amount, status FROM payments WHERE customer_id = {id} AND created_at > "
    "'2024-{m:02d}-{d:02d}' ORDER BY created_at DESC LIMIT 50;",
    'curl -s -X POST https://api.example.com/v2/orders/{id}/refund -H "Authorization: Bearer '
    'sk_live_{hex}" -d \'{{"amount": {amount}, "reason": "duplicate"}}\'',
    "2024-{m:02d}-{d:02d}T{h:02d}:{mi:02d}:17.{n}Z ERROR worker-{n} request_id={hex} "
    "upstream timed out after 30000 ms (attempt 3 of 3)",
    "def retry(call, attempts={d}):\n    for attempt in range(attempts):\n        try:\n"
    "            return call()\n        except TimeoutError:\n            time.sleep(2 ** attempt)",
)


def ticket(rng: random.Random) -> str:
    """Return one ticket: a subject line, a few sentences, sometimes code or a log line."""
    lines = [f"Subject: {rng.choice(_SUBJECTS).capitalize()} {rng.choice(_PROBLEMS)}"]
    sentences = [f"Hello, {rng.choice(_SUBJECTS)} {rng.choice(_PROBLEMS)}."]
    sentences += rng.sample(_FILLER, rng.randint(0, 3))
    sentences.append(f"Order #{rng.randint(100_000, 9_999_999)} for ${rng.randint(5, 4_999)}."
                     f"{rng.randint(0, 99):02d} on {rng.randint(1, 28):02d}/"
                     f"{rng.randint(1, 12):02d}/2024.")
    sentences.append(rng.choice(_ASKS))
    lines.append(" ".join(sentences))
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        lines.append(rng.choice(_CODE).format(
            n=rng.randint(1, 999), id=rng.randint(1, 10**7), m=rng.randint(1, 12),
            d=rng.randint(1, 28), h=rng.randint(0, 23), mi=rng.randint(0, 59),
            hex=f"{rng.getrandbits(64):016x}", amount=rng.randint(100, 99_999),
        ))
    lines.append(f"-- {rng.choice(('Anna', 'Ravi', 'Chen', 'Maria', 'Tom'))}, "
                 f"ticket {rng.randint(10_000, 99_999)}")
    return "\n".join(lines)


def corpus(rows: int, seed: int = 20240601) -> list[str]:
    """Return ``rows`` tickets, the same ones for the same arguments."""
    rng = random.Random(seed)
    return [ticket(rng) for _ in range(rows)]


# ====================
# Timing
# ====================


def median_seconds(function: Callable[[], object], repeat: int) -> float:
    """Return the median wall-clock seconds of ``function()`` over ``repeat`` calls."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def contenders(texts: list[str]) -> dict[str, Callable[[], object]]:
    """Return the counting paths to compare, by label."""
    import pandas as pd

    encoding = load_encoding("o200k_base").encoding
    frame = pd.DataFrame({"text": texts})

    def plain_loop() -> int:
        encode = encoding.encode_ordinary
        return sum(len(encode(text)) for text in texts)

    def single_prompt() -> int:
        return sum(count_tokens(text, "gpt-4o").tokens for text in texts)

    def count_half(part: list[str]) -> int:
        encode = encoding.encode_ordinary
        return sum(len(encode(text)) for text in part)

    def two_threads() -> int:
        half = len(texts) // 2
        with ThreadPoolExecutor(2) as pool:
            return sum(pool.map(count_half, [texts[:half], texts[half:]]))

    def tiktoken_batch() -> int:
        return sum(map(len, encoding.encode_ordinary_batch(texts, num_threads=2)))

    def engine(workers: int) -> Callable[[], object]:
        return lambda: bulk.count_texts(texts, ["gpt-4o"], workers=workers, progress=False)

    def priced(workers: int) -> Callable[[], object]:
        return lambda: bulk.price_frame(frame, "text", "gpt-4o", workers=workers, progress=False)

    paths = {
        "plain tiktoken loop, 1 core": plain_loop,
        "count_tokens per row": single_prompt,
        "2 threads, half the rows each": two_threads,
        "encode_ordinary_batch, 2 threads": tiktoken_batch,
        "count_texts, 1 worker": engine(1),
        "count_texts, 2 workers": engine(2),
        "price_frame, 1 worker": priced(1),
        "price_frame, 2 workers": priced(2),
    }
    try:
        from tokencost import count_string_tokens
    except ImportError:
        pass
    else:
        paths["tokencost count_string_tokens"] = (
            lambda: sum(count_string_tokens(text, "gpt-4o") for text in texts)
        )
    return paths


def report(name: str, texts: list[str], repeat: int) -> None:
    """Time every path on one corpus and print MB/s and the ratio to the plain loop."""
    megabytes = sum(len(text.encode("utf-8")) for text in texts) / 1e6
    print(f"\n{name}: {len(texts):,} rows, {megabytes:.2f} MB of UTF-8, "
          f"{sum(map(len, texts)):,} characters")
    paths = contenders(texts)
    for function in paths.values():
        function()  # warm up: vocabularies, price catalog, pandas
    baseline = None
    for label, function in paths.items():
        seconds = median_seconds(function, repeat)
        baseline = baseline or seconds
        print(f"  {label:32} {seconds * 1000:9.1f} ms {megabytes / seconds:8.1f} MB/s "
              f"{baseline / seconds:6.2f}x")
    try:
        import tokencost  # noqa: F401
    except ImportError:
        print("  tokencost: not installed, skipped (pip install tokencost to compare)")


def sweep(repeat: int) -> None:
    """Time 2 workers with and without worker processes at growing sizes."""
    print("\nThreshold sweep: count_texts, 2 workers, serial against forked processes")
    saved = parallel_counting.PARALLEL_MIN_CHARS
    for rows in (300, 1_000, 1_500, 2_000, 3_000, 6_000, 10_000, 30_000):
        texts = corpus(rows, seed=rows)
        characters = sum(map(len, texts))
        timings = []
        for threshold in (10**12, 0):
            parallel_counting.PARALLEL_MIN_CHARS = threshold
            timings.append(median_seconds(
                lambda: bulk.count_texts(texts, ["gpt-4o"], workers=2, progress=False), repeat
            ))
        parallel_counting.PARALLEL_MIN_CHARS = saved
        serial, forked = timings
        print(f"  {characters:>12,} chars  serial {serial * 1000:8.1f} ms  "
              f"processes {forked * 1000:8.1f} ms  speed-up {serial / forked:5.2f}x")


def machine() -> str:
    """Describe the machine and the load on it."""
    import tiktoken

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (f"{platform.platform()}; {os.cpu_count()} cores ({usable} usable); "
            f"Python {platform.python_version()}; tiktoken {tiktoken.__version__}; "
            f"load average {load}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median shown)")
    parser.add_argument("--rows", type=int, default=28_000,
                        help="rows of the large corpus (default 28,000: about 12 MB)")
    parser.add_argument("--sweep", action="store_true",
                        help="also time serial against parallel counting at growing sizes")
    args = parser.parse_args()
    print(machine())
    report("Small corpus", corpus(100), max(args.repeat, 20))
    report("Large corpus", corpus(args.rows), args.repeat)
    if args.sweep:
        sweep(args.repeat)


if __name__ == "__main__":
    main()
