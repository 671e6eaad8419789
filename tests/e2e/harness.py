"""Real browser tests: Streamlit servers on 127.0.0.1 and Debian's headless Chromium through Selenium.

Nothing is downloaded: the browser and its driver are Debian's ``chromium`` and
``chromium-driver`` packages (``.ci/run`` installs them).  Tests skip with the
reason when they are missing outside CI; in CI a missing browser fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

__all__ = ["REPO", "ApiServer", "StreamlitServer", "click_button", "fill_text", "free_port", "make_browser", "open_page",
           "screenshot", "sign_in", "upload_file", "wait_for_text", "wait_until_drawn"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(proc: subprocess.Popen, url: str, log_path: Path, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited early:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{what} did not become healthy in {timeout}s")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


class ApiServer:
    """The approval API (uvicorn, one process) on ``port``, with the product's settings in ``env``: it sets the
    apps' sign-in cookie, so with it the browser tests sign in as people do (the session survives a reload)."""

    def __init__(self, env: dict[str, str], log_path: Path, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        full_env = {**os.environ, **env, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self._log = open(log_path, "wb")  # noqa: SIM115 - the server writes to it until stop() closes it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "apps.api:create_app", "--factory", "--host", "127.0.0.1", "--port",
             str(port), "--log-level", "warning", "--no-access-log"],
            env=full_env, stdout=self._log, stderr=subprocess.STDOUT, cwd=str(REPO),
        )
        _wait_for(self.proc, self.url + "/health", log_path, "the API")

    def stop(self) -> None:
        _stop(self.proc)
        self._log.close()


class StreamlitServer:
    """``streamlit run APP`` as a subprocess on a loopback port (``port``, else a free one), with the product's
    settings in ``env``."""

    def __init__(self, app: Path, env: dict[str, str], log_path: Path, port: int | None = None):
        self.app, self.port = app, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, **env, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self._log = open(log_path, "wb")  # noqa: SIM115 - the server writes to it until stop() closes it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(self.port), "--server.address",
             "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
            env=full_env, stdout=self._log, stderr=subprocess.STDOUT, cwd=str(REPO),
        )
        self._wait_healthy(log_path)

    def _wait_healthy(self, log_path: Path, timeout: float = 60) -> None:
        _wait_for(self.proc, self.url + "/_stcore/health", log_path, "streamlit", timeout)

    def stop(self) -> None:
        _stop(self.proc)
        self._log.close()


def make_browser():
    """A headless Chromium, or a skip (outside CI) when Debian's chromium / chromium-driver are missing."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Debian's chromium and chromium-driver for the browser tests (.ci/run installs them)")
        pytest.skip("headless Chromium is not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000",
                "--disable-extensions", "--no-first-run"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    return driver


def wait_for_text(driver, text: str, timeout: float = 180.0) -> None:
    """Wait until ``text`` is visible somewhere on the page (Streamlit renders asynchronously).  The default is
    generous because it is a poll: on a quiet machine it returns in a second, on a loaded CI machine a cold app
    run (imports, the first query) or a background evidence job may take minutes, which is not a failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if text in driver.find_element("tag name", "body").text:
                return
        except Exception:  # noqa: BLE001, S110 - the page may be re-rendering
            pass
        time.sleep(0.3)
    body = driver.find_element("tag name", "body").text
    raise AssertionError(f"'{text}' did not appear within {timeout}s; the page shows:\n{body[-2000:]}")


def wait_until_drawn(driver, quiet: float = 1.0, timeout: float = 30.0, drawing: float = 15.0) -> None:
    """Wait until Streamlit has drawn the page: no script run in progress (for up to ``timeout`` seconds) and then
    nothing on the page changed for ``quiet`` seconds (charts and lazily loaded widgets draw after a run ends).
    Polled instead of a fixed sleep before screenshots and clicks; a page that keeps changing once its run is
    over (a live progress line) is taken as it is after ``drawing`` seconds."""
    deadline = time.monotonic() + timeout
    last, since, run_over = None, time.monotonic(), None
    while time.monotonic() < deadline:
        try:
            running = bool(driver.find_elements("css selector", '[data-testid="stStatusWidget"]'))
            page = driver.execute_script("return document.body.innerHTML.length + ':' + "
                                         "document.querySelectorAll('canvas, svg, img, iframe').length")
        except Exception:  # noqa: BLE001 - the page is being re-rendered under our feet
            running, page = True, None
        now = time.monotonic()
        run_over = None if running else (run_over or now)
        if running or page != last:
            last, since = page, now
        if run_over is not None and (now - since >= quiet or now - run_over >= drawing):
            return
        time.sleep(0.2)


def screenshot(driver, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    return path


# --------------------------------------------------------------------------- Streamlit widgets by their labels
def _find(driver, css: str, timeout: float = 30.0):
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(ec.element_to_be_clickable(("css selector", css)))


def fill_text(driver, label: str, value: str, timeout: float = 30.0) -> None:
    """Type into the text input (or text area) whose label is ``label``."""
    from selenium.webdriver.common.keys import Keys

    el = _find(driver, f"input[aria-label=\"{label}\"], textarea[aria-label=\"{label}\"]", timeout)
    el.send_keys(Keys.CONTROL, "a")
    el.send_keys(value)


def click_button(driver, text: str, timeout: float = 30.0) -> None:
    """Click the (first visible, enabled) button whose text is ``text``."""
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    xpath = f"//button[normalize-space(.)=\"{text}\"]"
    WebDriverWait(driver, timeout).until(ec.element_to_be_clickable(("xpath", xpath))).click()


def upload_file(driver, path: Path, timeout: float = 30.0) -> None:
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    el = WebDriverWait(driver, timeout).until(ec.presence_of_element_located(("css selector", "input[type=file]")))
    el.send_keys(str(path))


def sign_in(driver, url: str, username: str, password: str) -> None:
    """Sign in on the app's form; with the harness's API the page then goes to the API for the session cookie and
    comes back (a full page load), so this waits for the signed-in page after that."""
    driver.get(url)
    fill_text(driver, "Username", username)
    fill_text(driver, "Password", password)
    click_button(driver, "Sign in")
    wait_for_text(driver, "Signed in as")


def open_page(driver, title: str) -> None:
    """Open a page from the sidebar by its title."""
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    xpath = f"//a[@data-testid='stSidebarNavLink'][.//span[normalize-space(.)='{title}']]"
    WebDriverWait(driver, 30).until(ec.element_to_be_clickable(("xpath", xpath))).click()


def follow_link(driver, title: str, marker: str, timeout: float = 60.0) -> None:
    """Click the first link whose text contains ``title`` once it can be clicked, then wait for ``marker``.

    Waited for, not looked up at once: after a sign-in (a full page load) the navigation draws a moment after
    "Signed in as", and on a busy machine that moment is seconds.  A link re-drawn under the click is looked up
    again."""
    from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    xpath = f"//a[contains(normalize-space(.), \"{title}\")]"

    def clicked(d) -> bool:
        try:
            link = ec.element_to_be_clickable(("xpath", xpath))(d)
            if not link:
                return False
            link.click()
            return True
        except (StaleElementReferenceException, ElementClickInterceptedException):
            return False

    WebDriverWait(driver, timeout).until(clicked)
    wait_for_text(driver, marker, timeout=120)
