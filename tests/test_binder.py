"""Static checks of the Binder (repo2docker) configuration in binder/.

binder/simulate.sh replays the whole build and runs the course. These checks take a fraction
of a second and catch the mistakes that would make repo2docker read the folder differently.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
SCRIPTS = ["postBuild", "simulate.sh"]


def requirement_lines() -> list[str]:
    text = (BINDER / "requirements.txt").read_text(encoding="utf-8")
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    return [line for line in lines if line]


def test_requirements_install_this_package():
    lines = requirement_lines()
    local = [line for line in lines if line.startswith(".")]
    assert local, "binder/requirements.txt must install the package from the repository"


def test_requirement_extras_exist():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    for line in requirement_lines():
        found = re.fullmatch(r"\.\[([\w,\s-]+)\]", line)
        if found:
            for extra in found.group(1).split(","):
                message = f"unknown extra {extra!r} in binder/requirements.txt"
                assert extra.strip() in extras, message


def test_runtime_is_a_supported_python():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    found = re.fullmatch(r"python-3\.(\d+)", runtime)
    assert found, f"runtime.txt must read python-3.N, got {runtime!r}"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "requires-python"
    ]
    minimum = re.search(r">=\s*3\.(\d+)", requires)
    assert minimum is not None
    assert int(found.group(1)) >= int(minimum.group(1))


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_is_executable_bash(name: str):
    path = BINDER / name
    assert os.access(path, os.X_OK), f"binder/{name} must be executable"
    assert path.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
