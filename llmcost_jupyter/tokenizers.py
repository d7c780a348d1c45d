"""Exact tokenizers behind one small protocol: tiktoken, Hugging Face tokenizer.json, Mistral.

Every tokenizer here counts a prompt as ordinary text: special-token strings such as
``<|endoftext|>`` or ``[INST]`` written in the prompt are counted as the characters they are,
and no BOS or EOS token is added. Text is first passed through ``normalize_text``, so lone
surrogates never reach a Rust tokenizer.

Optional back ends are imported only when used: ``tokenizers`` for tokenizer.json files
(``pip install tokenizers``) and ``mistral-common`` with ``sentencepiece``
for Mistral models (``pip install "mistral-common[sentencepiece]"``).
"""

from __future__ import annotations

import bisect
import functools
import importlib.util
import itertools
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from . import _vocab

if TYPE_CHECKING:
    import tiktoken

__all__ = [
    "MISTRAL_TOKENIZERS",
    "InvalidTokenizerError",
    "MistralTokenizerFile",
    "PROVIDER_PREFIXES",
    "Tokenizer",
    "load_tokenizer_file",
    "mistral_tokenizer",
    "mistral_tokenizer_file",
    "normalize_text",
    "tiktoken_tokenizer",
]

_T = TypeVar("_T")

HUGGINGFACE_INSTALL_HINT = 'pip install tokenizers'
MISTRAL_INSTALL_HINT = 'pip install "mistral-common[sentencepiece]"'

#: Encodings tiktoken defines but this package does not ship, because they need a download.
UNSHIPPED_ENCODINGS = frozenset({"gpt2", "r50k_base", "p50k_base", "p50k_edit"})


class InvalidTokenizerError(ValueError):
    """A tokenizer file is missing or invalid, or an encoding name is unknown."""


@runtime_checkable
class Tokenizer(Protocol):
    """Interface of an exact tokenizer, as the counting and boundary layers use it."""

    name: str
    method: str

    def count(self, text: str) -> int:
        """Return the number of tokens in ``text``, counted as ordinary text."""
        ...

    def pieces(self, text: str) -> list[str]:
        """Return one string per token, in order, that together spell ``text``."""
        ...


def normalize_text(text: str) -> str:
    """Return ``text`` as a model API would receive it from a JSON request.

    A surrogate pair split into two code points (``"\\ud83d\\ude00"``) is joined back into the
    character it encodes, and every lone surrogate becomes U+FFFD, because a JSON body carrying
    an unpaired ``\\ud800`` escape is decoded that way by standard UTF-8 decoders. This is the
    same repair tiktoken applies in ``Encoding.encode_ordinary``.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


# ====================
# Splitting a text into one display string per token
# ====================


def pieces_from_byte_lengths(text: str, lengths: Sequence[int]) -> list[str]:
    """Split ``text`` into one string per token, given each token's length in UTF-8 bytes.

    A character whose bytes span several tokens is placed whole in the token that contains
    its last byte, and the tokens before it that contain only part of it get an empty string.
    The strings always join back to ``text``.
    """
    char_ends = list(itertools.accumulate(len(char.encode("utf-8")) for char in text))
    pieces: list[str] = []
    start = 0
    byte_end = 0
    for length in lengths:
        byte_end += length
        end = bisect.bisect_right(char_ends, byte_end)
        pieces.append(text[start:end])
        start = end
    if pieces and start < len(text):
        pieces[-1] += text[start:]
    return pieces


def pieces_from_char_ends(text: str, ends: Sequence[int]) -> list[str]:
    """Split ``text`` into one string per token, given the character offset where each ends.

    Text that no token covers (whitespace a pre-tokenizer dropped) goes to the next token, and
    overlapping tokens get an empty string, so the strings always join back to ``text``.
    """
    pieces: list[str] = []
    start = 0
    for end in ends:
        end = max(start, min(end, len(text)))
        pieces.append(text[start:end])
        start = end
    if pieces and start < len(text):
        pieces[-1] += text[start:]
    return pieces


# ====================
# tiktoken
# ====================

#: Whitespace runs at least this long are tokenized by the slower, exact split path.
#: tiktoken's regex engine (fancy-regex) stops with a stack-overflow panic on the
#: ``\s+(?!\S)`` branch once a run reaches 999,999 characters (measured with tiktoken 0.14.0
#: on o200k_base and cl100k_base; Mistral's tekken regex has the same branch). The threshold
#: leaves a tenfold margin.
LONG_WHITESPACE_RUN = 100_000

# Python's \s matches every Unicode White_Space character that tiktoken's \s matches, and a
# few more, so this finds every run that could reach the limit. The lookbehind starts a match
# only at the first character of a run, which keeps the scan linear.
_LONG_WHITESPACE = re.compile(rf"(?<!\s)\s{{{LONG_WHITESPACE_RUN}}}")


class TiktokenTokenizer:
    """Exact counts with a ``tiktoken.Encoding``, safe on any text.

    Texts without a long whitespace run go straight to ``Encoding.encode_ordinary``. A text
    with one is split with the encoding's own regex by the ``regex`` package, and each piece
    is merged with tiktoken's byte-pair encoder separately. That is exactly what
    ``encode_ordinary`` does internally, so both paths give the same tokens.
    """

    def __init__(self, name: str, encoding: tiktoken.Encoding, pat_str: str, method: str) -> None:
        self.name = name
        self.method = method
        self.encoding = encoding
        self._pat_str = pat_str
        self._pattern: Any = None

    def __repr__(self) -> str:
        return f"TiktokenTokenizer({self.name!r})"

    def count(self, text: str) -> int:
        """Return the number of tokens in ``text``."""
        return len(self.encode(text))

    def encode(self, text: str) -> list[int]:
        """Return the token ids of ``text``, counted as ordinary text."""
        text = normalize_text(text)
        if _LONG_WHITESPACE.search(text) is None:
            return self.encoding.encode_ordinary(text)
        return self.encode_by_pieces(text)

    def encode_by_pieces(self, text: str) -> list[int]:
        """Return the token ids of ``text``, splitting it into regex pieces in Python.

        Slower than ``encode_ordinary`` but free of its regex-engine limits. Public so that a
        test can compare both paths on any text.
        """
        # NOTE: _encode_single_piece is private tiktoken API (present in 0.14.0 and used by
        # tiktoken's own _encode_only_native_bpe). A test pins its behaviour.
        encode_piece = self.encoding._encode_single_piece
        cache: dict[str, list[int]] = {}
        ids: list[int] = []
        for piece in self._compiled_pattern().findall(normalize_text(text)):
            piece_ids = cache.get(piece)
            if piece_ids is None:
                piece_ids = encode_piece(piece)
                if len(cache) < 65_536:
                    cache[piece] = piece_ids
            ids.extend(piece_ids)
        return ids

    def pieces(self, text: str) -> list[str]:
        """Return one string per token, joining back to the normalized text."""
        text = normalize_text(text)
        ids = self.encode(text)
        decode = self.encoding.decode_single_token_bytes
        return pieces_from_byte_lengths(text, [len(decode(token)) for token in ids])

    def _compiled_pattern(self) -> Any:
        if self._pattern is None:
            import regex

            self._pattern = regex.compile(self._pat_str)
        return self._pattern


@functools.cache
def tiktoken_tokenizer(name: str) -> TiktokenTokenizer:
    """Return the exact tokenizer for a tiktoken encoding that this package ships.

    Raises:
        InvalidTokenizerError: If ``name`` is not one of the shipped encodings.
    """
    if name not in _vocab.SHIPPED_ENCODINGS:
        shipped = ", ".join(sorted(_vocab.SHIPPED_ENCODINGS))
        if name in UNSHIPPED_ENCODINGS:
            reason = f"the {name} vocabulary is not shipped, because tiktoken would download it"
        else:
            reason = f"unknown tiktoken encoding {name!r}"
        raise InvalidTokenizerError(
            f"{reason}. Use one of {shipped}, or pass the path of a Hugging Face "
            "tokenizer.json file."
        )
    loaded = _vocab.load_encoding(name)
    return TiktokenTokenizer(name, loaded.encoding, loaded.pat_str, f"tiktoken {name}")


# ====================
# Hugging Face tokenizer.json
# ====================


class HuggingFaceTokenizer:
    """Exact counts with a Hugging Face ``tokenizers.Tokenizer`` loaded from tokenizer.json.

    Truncation and padding saved in the file are switched off, and no special tokens are
    added, so the count is the raw text's token count.
    """

    def __init__(self, path: Path, backend: Any) -> None:
        self.path = path
        self.name = f"{path.parent.name}/{path.name}" if path.parent.name else path.name
        self.method = f"tokenizer.json ({path})"
        self._backend = backend

    def __repr__(self) -> str:
        return f"HuggingFaceTokenizer({os.fspath(self.path)!r})"

    def count(self, text: str) -> int:
        """Return the number of tokens in ``text``."""
        return len(self._encode(text).ids)

    def pieces(self, text: str) -> list[str]:
        """Return one string per token, joining back to the normalized text."""
        text = normalize_text(text)
        ends = [end for _start, end in self._encode(text).offsets]
        return pieces_from_char_ends(text, ends)

    def _encode(self, text: str) -> Any:
        return self._backend.encode(normalize_text(text), add_special_tokens=False)


def load_tokenizer_file(path: str | os.PathLike[str]) -> Tokenizer:
    """Load a Hugging Face ``tokenizer.json`` file as an exact tokenizer.

    Args:
        path: Path to the tokenizer.json file.

    Returns:
        A tokenizer whose method names the file.

    Raises:
        InvalidTokenizerError: If the file is missing or is not a valid tokenizer.json.
        ModuleNotFoundError: If the optional ``tokenizers`` package is not installed.
    """
    resolved = Path(path).expanduser()
    if not resolved.is_file():
        raise InvalidTokenizerError(
            f"tokenizer file not found: {os.fspath(path)!r}. Pass the path of a Hugging Face "
            "tokenizer.json file, or an encoding name such as 'o200k_base'."
        )
    return _load_tokenizer_file_cached(resolved.resolve(), resolved.stat().st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _load_tokenizer_file_cached(path: Path, mtime_ns: int) -> HuggingFaceTokenizer:
    try:
        from tokenizers import Tokenizer as BackendTokenizer
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(
            f"counting with a tokenizer.json file needs the 'tokenizers' package. "
            f"Install it with: {HUGGINGFACE_INSTALL_HINT}"
        ) from err
    try:
        backend = BackendTokenizer.from_file(os.fspath(path))
    except Exception as err:  # tokenizers raises a bare Exception for every parse error
        raise InvalidTokenizerError(
            f"invalid tokenizer file {os.fspath(path)!r}: {err}. Pass a tokenizer.json saved "
            "by the Hugging Face 'tokenizers' library (Tokenizer.save)."
        ) from err
    backend.no_truncation()
    backend.no_padding()
    return HuggingFaceTokenizer(path, backend)


# ====================
# Mistral, through the tokenizer files that mistral-common bundles
# ====================


@dataclass(frozen=True)
class MistralTokenizerFile:
    """A tokenizer file bundled in ``mistral_common/data`` and how to describe it."""

    filename: str
    label: str  # for example "tekken v3" or "sentencepiece v7"

    @property
    def is_tekken(self) -> bool:
        """Whether the file is a tekken (tiktoken-based) tokenizer rather than SentencePiece."""
        return self.filename.endswith(".json")


_TEKKEN_240718 = MistralTokenizerFile("tekken_240718.json", "tekken v3")
_TEKKEN_240911 = MistralTokenizerFile("tekken_240911.json", "tekken v3")
_SPM_V1 = MistralTokenizerFile("tokenizer.model.v1", "sentencepiece v1")
_SPM_V2 = MistralTokenizerFile("mistral_instruct_tokenizer_240216.model.v2", "sentencepiece v2")
_SPM_V3 = MistralTokenizerFile("mistral_instruct_tokenizer_240323.model.v3", "sentencepiece v3")
_SPM_V7 = MistralTokenizerFile("mistral_instruct_tokenizer_241114.model.v7", "sentencepiece v7")
_SPM_V7M1 = MistralTokenizerFile(
    "mistral_instruct_tokenizer_241114.model.v7m1", "sentencepiece v7m1"
)

#: Mistral model ids whose tokenizer is known, matched as the exact id or the id followed by
#: "-" (a date or size suffix), longest key first. Dated ids follow mistral-common 1.13.1
#: (``MODEL_NAME_TO_TOKENIZER_CLS`` in mistral_common/tokens/tokenizers/mistral.py). Undated
#: ids appear only where a single release exists: open-mistral-nemo and pixtral-12b.
#: "-latest" aliases are absent on purpose, because the model behind them changes; they get an
#: estimate from the mistral family rule in counting.py.
MISTRAL_TOKENIZERS: dict[str, MistralTokenizerFile] = {
    "ministral-8b-2410": _TEKKEN_240718,
    "mistral-tiny-2312": _SPM_V2,
    "mistral-tiny-2407": _SPM_V3,
    "open-mistral-nemo": _TEKKEN_240718,
    "mistral-nemo": _TEKKEN_240718,
    "mistral-small-2312": _SPM_V2,
    "mistral-small-2402": _SPM_V2,
    "mistral-small-2409": _TEKKEN_240718,
    "open-mixtral-8x22b": _SPM_V3,
    "mistral-medium-2312": _SPM_V1,
    "mistral-large-2402": _SPM_V2,
    "mistral-large-2407": _SPM_V3,
    "mistral-large-2411": _SPM_V7,
    "pixtral-large-2411": _SPM_V7M1,
    "codestral-2405": _SPM_V3,
    "codestral-mamba-2407": _SPM_V3,
    "open-codestral-mamba": _SPM_V3,
    "pixtral-12b": _TEKKEN_240911,
}

_mistral_lock = threading.Lock()
_mistral_cache: dict[str, Tokenizer] = {}


def mistral_tokenizer_file(model: str) -> MistralTokenizerFile | None:
    """Return the bundled tokenizer file for a Mistral model id, or None when it is not known."""
    return match_prefix_table(model, MISTRAL_TOKENIZERS)


def mistral_available(entry: MistralTokenizerFile | None = None) -> bool:
    """Check whether the packages to read Mistral tokenizer files are installed.

    Tekken files need mistral-common, and SentencePiece files need sentencepiece as well.
    Without ``entry`` both are checked. Nothing is imported.
    """
    needed = ["mistral_common"]
    if entry is None or not entry.is_tekken:
        needed.append("sentencepiece")
    return all(importlib.util.find_spec(name) is not None for name in needed)


def mistral_tokenizer(model: str) -> Tokenizer | None:
    """Return the exact tokenizer of a Mistral model from mistral-common's bundled files.

    Only the bundled file is read, by path; nothing is fetched from a model hub.

    Returns:
        None when ``model`` is not in ``MISTRAL_TOKENIZERS`` or when mistral-common or
        sentencepiece is not installed (``pip install "mistral-common[sentencepiece]"``).
    """
    entry = mistral_tokenizer_file(normalize_model_id(model))
    if entry is None or not mistral_available(entry):
        return None
    return load_mistral_file(entry)


def load_mistral_file(entry: MistralTokenizerFile) -> Tokenizer:
    """Load one of mistral-common's bundled tokenizer files, once per process."""
    loaded = _mistral_cache.get(entry.filename)
    if loaded is not None:
        return loaded
    with _mistral_lock:
        loaded = _mistral_cache.get(entry.filename)
        if loaded is None:
            loaded = _load_tekken(entry) if entry.is_tekken else _load_sentencepiece(entry)
            _mistral_cache[entry.filename] = loaded
    return loaded


def _mistral_data_path(filename: str) -> Path:
    import mistral_common

    return Path(mistral_common.__file__).parent / "data" / filename


def _mistral_method(entry: MistralTokenizerFile) -> str:
    return f"mistral-common {entry.label} ({entry.filename}), raw text without BOS/EOS"


def _load_tekken(entry: MistralTokenizerFile) -> TiktokenTokenizer:
    from mistral_common.tokens.tokenizers.tekken import Tekkenizer

    tekkenizer = Tekkenizer.from_file(_mistral_data_path(entry.filename))
    # NOTE: Tekkenizer keeps its tiktoken.Encoding in the private attribute _model. Using it
    # directly gives the same ids minus the special-token offset, which a count ignores, and
    # lets long whitespace runs take the safe path.
    encoding = tekkenizer._model
    name = entry.filename.removesuffix(".json")
    return TiktokenTokenizer(name, encoding, encoding._pat_str, _mistral_method(entry))


class SentencePieceTokenizer:
    """Exact counts with one of Mistral's SentencePiece models, without BOS or EOS."""

    def __init__(self, entry: MistralTokenizerFile, processor: Any) -> None:
        self.name = entry.filename
        self.method = _mistral_method(entry)
        self._processor = processor

    def __repr__(self) -> str:
        return f"SentencePieceTokenizer({self.name!r})"

    def count(self, text: str) -> int:
        """Return the number of tokens in ``text``."""
        return len(self._processor.encode(normalize_text(text)))

    def pieces(self, text: str) -> list[str]:
        """Return one string per token, joining back to the normalized text."""
        text = normalize_text(text)
        processor = self._processor
        ids = processor.encode(text)
        lengths = [_sentencepiece_byte_length(processor.id_to_piece(i)) for i in ids]
        surplus = sum(lengths) - len(text.encode("utf-8"))
        if lengths and surplus == 1:
            lengths[0] -= 1  # the "▁" SentencePiece adds before the first word
        elif surplus != 0:
            return [processor.decode([i]) for i in ids]
        return pieces_from_byte_lengths(text, lengths)


_BYTE_PIECE = re.compile(r"<0x[0-9A-F]{2}>")


def _sentencepiece_byte_length(piece: str) -> int:
    if _BYTE_PIECE.fullmatch(piece):
        return 1
    return len(piece.replace("\u2581", " ").encode("utf-8"))


def _load_sentencepiece(entry: MistralTokenizerFile) -> SentencePieceTokenizer:
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(
        model_file=os.fspath(_mistral_data_path(entry.filename))
    )
    return SentencePieceTokenizer(entry, processor)


# ====================
# Model ids
# ====================

# A Bedrock id's routing prefix (a region such as "us." or "us-gov.", or genai-prices'
# "global." and "regional."), then its vendor, as in "us.anthropic.claude-sonnet-4-5-...".
_BEDROCK_PREFIX = re.compile(
    r"^(?:(?:[a-z]{2,4}|us-gov|global|regional)\.)?"
    r"(?:anthropic|meta|mistral|cohere|deepseek|amazon|ai21|writer|qwen|openai)\."
)

#: Names that may come before a model id as ``provider:model``: the provider ids of
#: genai-prices 0.2.3 (a test checks the installed catalog against them) and the aliases of
#: ``prices.PROVIDER_ALIASES``. A literal set keeps token counting free of the catalog.
PROVIDER_PREFIXES = frozenset({
    "anthropic", "arcee", "avian", "aws", "azure", "baseten", "cerebras", "cloudflare",
    "cohere", "cursor", "databricks", "deepseek", "doubleword", "elevenlabs", "fireworks",
    "github-copilot", "google", "groq", "huggingface_cerebras", "huggingface_fireworks-ai",
    "huggingface_groq", "huggingface_hyperbolic", "huggingface_nebius", "huggingface_novita",
    "huggingface_nscale", "huggingface_ovhcloud", "huggingface_publicai",
    "huggingface_sambanova", "huggingface_together", "meta", "minimax", "mistral", "modal",
    "moonshotai", "novita", "openai", "openai-decisions", "openrouter", "ovhcloud",
    "perplexity", "quicksilverpro", "together", "typesafe", "voyageai", "x-ai", "zai",
    "zhipuai",
    # Aliases used by LiteLLM and cloud SDKs.
    "amazon", "bedrock", "bedrock_converse", "azure_ai", "gemini", "vertex", "vertex_ai",
    "vertex_ai_beta", "together_ai", "xai",
})

# A local runtime's tag after a family name, as in Ollama's "mistral:7b" or "gemma:latest".
# NOTE: "provider:model" ids whose model part starts with a digit are taken for such tags.
_RUNTIME_TAG = re.compile(r"latest|\d.*")


def normalize_model_id(model: str) -> str:
    """Return the bare, lower-case model id that the lookup tables use.

    Removes surrounding whitespace, a provider prefix (``openai:gpt-4o``), a provider path
    (``openai/gpt-4o``, ``azure/gpt-4o``) and a Bedrock routing and vendor prefix
    (``us.anthropic.claude-...``). A fine-tune wrapper becomes its base model, as
    ``ft:gpt-4o-mini-2024-07-18:org::abc`` does. Every spelling of a model thus gets the same
    tokenizer or estimate rule.
    """
    model_id = _strip_provider_prefix(model.strip().lower())
    if model_id.startswith("ft:"):
        model_id = model_id[3:].split(":", 1)[0]
    model_id = model_id.rsplit("/", 1)[-1]
    return _BEDROCK_PREFIX.sub("", model_id)


def _strip_provider_prefix(model_id: str) -> str:
    prefix, separator, rest = model_id.partition(":")
    if not separator or prefix not in PROVIDER_PREFIXES or _RUNTIME_TAG.fullmatch(rest):
        return model_id
    return rest


def match_prefix_table(model_id: str, table: dict[str, _T]) -> _T | None:
    """Look ``model_id`` up in a table of model keys, longest key first.

    A key matches the exact id or the id followed by ``-`` (a date, size or variant suffix).
    A key that itself ends in ``-`` or ``.`` matches any id that starts with it. Substring
    matching is never used, because ``"gpt-4"`` is a substring of ``"gpt-4o"``.
    """
    for key in _keys_longest_first(tuple(table)):
        if key.endswith(("-", ".")):
            if model_id.startswith(key):
                return table[key]
        elif model_id == key or model_id.startswith(key + "-"):
            return table[key]
    return None


@functools.lru_cache(maxsize=16)
def _keys_longest_first(keys: tuple[str, ...]) -> list[str]:
    return sorted(keys, key=len, reverse=True)
