"""Importing the package and loading the extension must stay light."""

import json
import subprocess
import sys

HEAVY = ["pandas", "altair", "ipywidgets", "genai_prices.data", "tiktoken", "vl_convert"]

PROBE = """
import json, sys
{setup}
print(json.dumps(sorted(name for name in {heavy!r} if name in sys.modules)))
"""


def _loaded_after(setup: str) -> list[str]:
    code = PROBE.format(setup=setup, heavy=HEAVY)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_loads_nothing_heavy():
    assert _loaded_after("import llmcost_jupyter") == []


def test_load_ext_loads_nothing_heavy():
    setup = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "InteractiveShell.instance().run_line_magic('load_ext', 'llmcost_jupyter')"
    )
    assert _loaded_after(setup) == []


def test_public_names_resolve():
    import llmcost_jupyter

    for name in llmcost_jupyter.__all__:
        assert getattr(llmcost_jupyter, name) is not None, name


def test_unknown_attribute_raises():
    import llmcost_jupyter
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        llmcost_jupyter.nope
