"""The dashboard in a real browser: headless Chromium, driven by Selenium, offline.

The page is opened from a file:// URL; the charts' numbers are read back from their
``data-value`` attributes and the tables' cells through the DOM, and a screenshot is
kept under test-artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from test_report import AT, build_history

if TYPE_CHECKING:
    from conftest import RunCli

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs the Debian packages chromium and chromium-driver (.ci/run installs them)",
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1280,2000",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_dashboard_renders_its_numbers(run_cli: RunCli, tmp_path: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    repo = build_history(tmp_path / "repo")
    page = tmp_path / "site" / "index.html"
    result = run_cli(["-C", repo.path, "report", "--at", AT, "--format", "html", "--out", page])
    assert result.exit_code == 0, result.stderr
    driver = browser
    driver.get(page.as_uri())

    def values(selector: str) -> dict[str, str]:
        found = driver.find_elements(By.CSS_SELECTOR, selector)
        return {
            f"{el.get_attribute('data-series')}/{el.get_attribute('data-group')}": (
                el.get_attribute("data-value")
            )
            for el in found
        }

    assert driver.find_element(By.ID, "commit").text == repo.head()
    # MTTA per month: March (4m + 70m) / 2 = 37m = 2220 s; April 10m = 600 s.
    # MTTR per month: March (2h + 4h) / 2 = 3h = 10800 s; nothing resolved in April.
    assert values("#chart-trend rect.bar") == {
        "mtta/2026-03": "2220",
        "mttr/2026-03": "10800",
        "mtta/2026-04": "600",
    }
    # Every cycle is judged. SEV1 (C's running resolve is not): acknowledge 2, update_every
    # 5 (A 1 met + 2 missed, C 1 met + 1 breached), mitigate 2, resolve 1, postmortem 1,
    # rca 1 = 12; met: A's acknowledge, mitigate, resolve and two update cycles = 5.
    # SEV2: B resolve, E resolve, E's update cycle met; B's two update cycles missed: 3 of 5.
    assert values("#chart-attainment rect.bar") == {
        "rate/SEV1": str(round(100 * 5 / 12, 2)),
        "rate/SEV2": str(round(100 * 3 / 5)),
    }
    detection = driver.find_element(By.CSS_SELECTOR, "#chart-detection rect.bar")
    assert detection.get_attribute("data-value") == "66.7"  # 2 of 3
    goal = driver.find_element(By.CSS_SELECTOR, "#chart-detection line.goal")
    assert goal.get_attribute("data-value") == "90"
    bar = driver.find_element(By.CSS_SELECTOR, "#chart-trend rect.bar")
    assert bar.size["height"] > 0
    assert "MTTA 2026-03" in bar.find_element(By.TAG_NAME, "title").get_attribute("textContent")
    rows = driver.find_elements(By.CSS_SELECTOR, "#open-incidents tbody tr")
    assert [r.get_attribute("data-incident") for r in rows] == ["INC-2026-0003"]
    states = {
        li.get_attribute("data-metric"): li.get_attribute("data-state")
        for li in rows[0].find_elements(By.CSS_SELECTOR, "li")
    }
    assert states == {
        "acknowledge": "missed",
        "update_every": "breached",
        "mitigate": "breached",
        "resolve": "running",
        "postmortem": "pending",
        "rca": "pending",
    }
    section = driver.find_element(By.ID, "INC-2026-0001")
    cells = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in section.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    assert cells[1] == [
        "2026-03-02T10:04:00Z",
        "status open -> acknowledged",
        repo.shas[2][:12],
        "Alice Example <alice@example.com>",
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dashboard.png"
    assert driver.save_screenshot(str(shot))
    shutil.copy(page, ARTIFACTS / "dashboard.html")
    print(f"screenshot: {shot}")
