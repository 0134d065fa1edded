"""Headless Chromium through Selenium, for the web page's tests (test_ui.py).

Browser() starts Debian's chromium with chromedriver (packages chromium, chromium-driver,
python3-selenium; .ci/packages), in a throw-away profile, with Chrome's performance log
on, so that every URL the page requested can be listed afterwards (requested_urls).
Every wait is bounded: page loads, scripts and WebDriverWait all have timeouts.

Raises unittest.SkipTest when Selenium, chromium or chromedriver is missing.
"""

import json
import shutil
import sys
import tempfile
import unittest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Debian's python3-selenium lives here; a python3 that is not Debian's (pyenv, a venv)
# does not search it. Appended, so that the interpreter's own packages come first.
DEBIAN_DIST_PACKAGES = "/usr/lib/python3/dist-packages"
PAGE_TIMEOUT = 20
WAIT_TIMEOUT = 10


def _import_selenium():
    try:
        import selenium  # noqa: F401
    except ImportError:
        if DEBIAN_DIST_PACKAGES not in sys.path:
            sys.path.append(DEBIAN_DIST_PACKAGES)
        try:
            import selenium  # noqa: F401,F811
        except ImportError:
            raise unittest.SkipTest("python3-selenium is not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait
    return webdriver, Service, WebDriverWait


class Browser:
    """One headless Chromium. Use as a context manager or call quit()."""

    def __init__(self, width=1280, height=800):
        for path in (CHROMIUM, CHROMEDRIVER):
            if not shutil.which(path):
                raise unittest.SkipTest("%s is not installed (chromium, chromium-driver)" % path)
        webdriver, Service, self._WebDriverWait = _import_selenium()
        self.profile = tempfile.TemporaryDirectory(prefix="dnsd-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=%d,%d" % (width, height), "--user-data-dir=" + self.profile.name,
                    # Chromium's own traffic (updates, sync, suggestions) is not the page's.
                    "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-default-apps",
                    "--hide-scrollbars"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        # An explicit driver path: Selenium never looks for (or downloads) one itself.
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(PAGE_TIMEOUT)
        self.driver.set_script_timeout(PAGE_TIMEOUT)
        self._urls = []

    def quit(self):
        try:
            self.driver.quit()
        finally:
            self.profile.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.quit()

    def get(self, url):
        self.driver.get(url)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def wait_for(self, predicate, message, timeout=WAIT_TIMEOUT):
        """Calls predicate(driver) until it is truthy, at most `timeout` seconds."""
        return self._WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(
            predicate, message)

    def set_viewport(self, width, height, mobile=False):
        """Exactly this viewport (headless Chromium's windows are at least 500 px wide, and
        a window's size includes what the browser draws around the page)."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})

    def forget_requests(self):
        """Leaves about:blank and forgets what was requested so far (Chromium's new-tab
        page at startup), so that requested_urls() lists what the next page asks for."""
        self.driver.get("about:blank")
        self.requested_urls()
        self._urls = []

    def requested_urls(self):
        """Every URL requested since the browser started (Network.requestWillBeSent)."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self._urls.append(message["params"]["request"]["url"])
        return list(self._urls)

    def console_errors(self):
        return [e for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]
