"""JupyterLab on 127.0.0.1 and Debian's Chromium driven by Playwright, for the browser tests.

The server runs with its own configuration, data, runtime and IPython folders, in a copy of
the notebooks, so the tests neither read nor change anything of the user's. Chromium starts
with a fresh profile, resolves no host name but 127.0.0.1 and localhost, and every request
goes through a route that lets only 127.0.0.1 through and records the rest, so a test can
assert that nothing left the machine. Playwright's own browser download is never used.

Screenshots go to ``test-artifacts/browser/`` at the repository root: one per failed test,
and the ones a passing test takes on purpose for a person to look at.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
SERVER_START_TIMEOUT_S = 90
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-proxy-server",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the browser tests, with the reason, when Chromium or Playwright is missing."""
    reason = _missing_requirement()
    if reason is None:
        return
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


def _missing_requirement() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: install Debian's package (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e '.[test]'"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Keep each phase's report on the test item, so fixtures can see whether it failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


# ---------------------------------------------------------------------------------------------
# JupyterLab


@dataclass
class LabServer:
    """A running JupyterLab server.

    Attributes:
        base_url: ``http://127.0.0.1:PORT``.
        token: The token that every URL needs.
        root_dir: The folder the server shows, holding copies of the notebooks.
        log_path: The server's standard output and error.
    """

    base_url: str
    token: str
    root_dir: Path
    log_path: Path

    def notebook_url(self, notebook: str, workspace: str) -> str:
        """Return the URL that opens ``notebook`` in a fresh workspace."""
        return f"{self.base_url}/lab/workspaces/{workspace}/tree/{notebook}?token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of the server log, for failure messages."""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status_ok(url: str) -> bool:
    # No proxy handler: a proxy from the environment must not see the loopback request.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _server_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        folder = home / name.lower()
        folder.mkdir()
        env[name] = str(folder)
    # No "get Jupyter news?" prompt over the page: the answer is stored as a user setting.
    settings = home / "jupyter_config_dir" / "lab" / "user-settings" / "@jupyterlab"
    notification = settings / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # The kernel imports this checkout even where the package is not installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def _check_kernelspec(env: dict[str, str]) -> None:
    """Fail early unless the python3 kernel runs this interpreter (the one with the package)."""
    listing = subprocess.run(
        [sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"],
        env=env, capture_output=True, text=True, check=True,
    )
    argv = json.loads(listing.stdout)["kernelspecs"]["python3"]["spec"]["argv"]
    # jupyter_client runs a spec whose command is "python" with the server's own interpreter.
    if argv[0] not in ("python", "python3", sys.executable):
        pytest.fail(f"the python3 kernel runs {argv[0]}, not {sys.executable}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """Start JupyterLab on 127.0.0.1 over a copy of ``notebooks/``; stop it afterwards."""
    yield from _serve(tmp_path_factory, "jupyterlab", LabServer)


def _serve(
    tmp_path_factory: pytest.TempPathFactory, module: str, server_class: type[LabServer]
) -> Iterator[LabServer]:
    """Run ``python -m MODULE`` (JupyterLab or Notebook 7) on loopback until the tests end."""
    home = tmp_path_factory.mktemp(f"{module}-home")
    root = home / "root"
    shutil.copytree(REPO_ROOT / "notebooks", root)
    env = _server_env(home)
    _check_kernelspec(env)
    port = _free_port()
    token = secrets.token_hex(16)
    log_path = home / "server.log"
    # Notebook 7 has no news or update options of its own, but it loads JupyterLab's server
    # extension, whose news feed would be fetched from jupyter.org: the LabApp options turn
    # that off for both front ends.
    command = [
        sys.executable, "-m", module, "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_root=True", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = server_class(f"http://127.0.0.1:{port}", token, root, log_path)
    try:
        _wait_until_ready(server, process, module)
        yield server
    finally:
        _stop(process)


def _wait_until_ready(server: LabServer, process: subprocess.Popen, name: str) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    status_url = f"{server.base_url}/api/status?token={server.token}"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{name} exited with {process.returncode}:\n{server.log_tail()}")
        if _status_ok(status_url):
            return
        time.sleep(0.5)
    pytest.fail(f"{name} did not answer within {SERVER_START_TIMEOUT_S} s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    # The server and its kernels share a process group started for this test only.
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=10)


# ---------------------------------------------------------------------------------------------
# Notebook 7


@dataclass
class NotebookServer(LabServer):
    """A running Jupyter Notebook 7 server, with the same attributes as ``LabServer``."""

    def notebook_url(self, notebook: str) -> str:  # type: ignore[override]
        """Return the URL that opens ``notebook`` in Notebook 7's single-document page."""
        return f"{self.base_url}/notebooks/{notebook}?token={self.token}"


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NotebookServer]:
    """Start Notebook 7 on 127.0.0.1 over a copy of ``notebooks/``; stop it afterwards.

    Skips when the ``notebook`` package (version 7 or later) is not installed.
    """
    pytest.importorskip(
        "notebook", minversion="7", reason="notebook 7 is not installed: pip install -e '.[test]'"
    )
    yield from _serve(tmp_path_factory, "notebook", NotebookServer)


# ---------------------------------------------------------------------------------------------
# Chromium


@dataclass
class BrowserRecord:
    """What the page did besides drawing.

    Attributes:
        blocked: URLs of requests that tried to leave 127.0.0.1; they were aborted.
        console: Console messages, as ``"type: text"``.
        page_errors: Uncaught exceptions in the page.
    """

    blocked: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


def _route(record: BrowserRecord):
    def handle(route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.hostname in LOCAL_HOSTS:
            route.continue_()
            return
        record.blocked.append(url)
        route.abort()

    return handle


@pytest.fixture()
def browser_page(request: pytest.FixtureRequest, tmp_path: Path):
    """Return ``(page, record)`` in a fresh Chromium profile; screenshot the page on failure."""
    from playwright.sync_api import sync_playwright

    record = BrowserRecord()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            # Tall enough that each widget fits, so element screenshots show it whole.
            viewport={"width": 1400, "height": 2400},
        )
        context.route("**/*", _route(record))
        page = context.new_page()
        page.on("console", lambda message: record.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: record.page_errors.append(str(error)))
        try:
            yield page, record
        finally:
            _screenshot_on_failure(request, page)
            context.close()


def _screenshot_on_failure(request: pytest.FixtureRequest, page) -> None:
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"FAILED-{request.node.name}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
    except Exception as err:  # noqa: BLE001 - a failed screenshot must not hide the test failure
        print(f"could not save {path}: {err}")
    else:
        print(f"screenshot of the failure: {path}")


@pytest.fixture()
def artifacts() -> Path:
    """Return the folder for screenshots kept for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
