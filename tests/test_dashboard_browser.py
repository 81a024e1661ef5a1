"""Every page type in a real browser: headless Chromium, driven by Selenium, offline.

Each page is opened from a file:// URL at 1400 px and at 390 px wide and must show no
console error, no horizontal overflow of the page (wide tables and the timeline
scroll inside their own box), and no axe-core violation of impact serious or
critical; axe-core is the npm package's file, injected into the page (``.ci/run``
installs it and names it in ``AXE_CORE_JS``). A screenshot of each is kept under
tests/artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from test_report import AT, build_history

if TYPE_CHECKING:
    from conftest import RunCli

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

# In CI (.ci/run installs all of it) a missing browser or axe-core fails the tests
# rather than skipping them: a skipped page check would pass unseen.
IN_CI = os.environ.get("CI", "").lower() == "true"
webdriver = pytest.importorskip("selenium.webdriver")
BROWSER = CHROMIUM.exists() and CHROMEDRIVER.exists()
pytestmark = pytest.mark.skipif(
    not BROWSER and not IN_CI,
    reason="needs the Debian packages chromium and chromium-driver (.ci/run installs them)",
)


def axe_source() -> str:
    path = os.environ.get("AXE_CORE_JS")
    if not path or not Path(path).is_file():
        why = "needs axe-core's axe.min.js named in AXE_CORE_JS (.ci/run installs it)"
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)
    return Path(path).read_text(encoding="utf-8")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars", f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1400,1000",
    ):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_script_timeout(300)  # axe-core on a long page, on a busy machine
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def site(run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Path]:
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/incidents")
    repo = build_history(tmp_path / "repo")
    out = tmp_path / "site"
    result = run_cli(["-C", repo.path, "site", "build", "--at", AT, "--out", out])
    assert result.exit_code == 0, result.stderr
    report = out / "report.html"
    result = run_cli(["-C", repo.path, "report", "--at", AT, "--format", "html"])
    assert result.exit_code == 0, result.stderr
    report.write_text(result.stdout, encoding="utf-8")
    return repo, out


def check_page(driver: Any, page: Path, name: str, axe: str) -> None:
    """At 1400 and 390 px in the light scheme, and at 1400 px in the dark one."""
    for width, scheme in ((1400, "light"), (390, "light"), (1400, "dark")):
        driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
        )
        driver.set_window_size(width, 1000)
        driver.get(page.as_uri())
        assert driver.execute_script(
            "return matchMedia('(prefers-color-scheme: dark)').matches"
        ) == (scheme == "dark")
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        where = f"{name} at {width}px, {scheme}"
        assert errors == [], f"{where}: console errors {errors}"
        wide = driver.execute_script(
            "const d = document.documentElement; return [d.scrollWidth, d.clientWidth];"
        )
        assert wide[0] <= wide[1], f"{where} overflows: {wide[0]} > {wide[1]}"
        driver.execute_script(axe)
        found = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then("
            "  r => done(JSON.stringify(r.violations.filter("
            "    v => v.impact === 'serious' || v.impact === 'critical').map("
            "    v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map("
            "      n => n.target.join(' '))})))),"
            "  e => done(JSON.stringify([{id: 'axe-error', impact: String(e)}])));"
        )
        assert json.loads(found) == [], f"{where}: {found}"
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(max(height, 600), 6000))
        ARTIFACTS.mkdir(exist_ok=True)
        suffix = "-dark" if scheme == "dark" else ""
        assert driver.save_screenshot(str(ARTIFACTS / f"{name}-{width}{suffix}.png"))


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("report", "report.html"),
        ("dashboard", "index.html"),
        ("incident", "incidents/INC-2026-0003.html"),
        ("customer", "customers/acme.html"),
        ("status", "status/index.html"),
    ],
)
def test_every_page_type_is_clean_at_both_widths(
    site: tuple[Any, Path], browser: Any, name: str, path: str
) -> None:
    _, out = site
    check_page(browser, out / path, name, axe_source())


def test_the_dashboard_renders_its_numbers(site: tuple[Any, Path], browser: Any) -> None:
    from selenium.webdriver.common.by import By

    repo, out = site
    driver = browser
    driver.get((out / "report.html").as_uri())

    def values(selector: str) -> dict[str, str]:
        return {
            f"{el.get_attribute('data-series')}/{el.get_attribute('data-group')}": (
                el.get_attribute("data-value")
            )
            for el in driver.find_elements(By.CSS_SELECTOR, selector)
        }

    assert driver.find_element(By.ID, "commit").text == repo.head()
    # MTTA and MTTR each on their own panel, never on one axis.
    # MTTA per month: March (4m + 70m) / 2 = 37m = 2220 s; April 10m = 600 s.
    assert values("#chart-mtta-month .bar-row") == {"mtta/2026-03": "2220", "mtta/2026-04": "600"}
    # MTTR per month: March (2h + 4h) / 2 = 3h = 10800 s; nothing resolved in April.
    assert values("#chart-mttr-month .bar-row") == {"mttr/2026-03": "10800"}
    # every bar carries its value as text
    labels = [
        e.text for e in driver.find_elements(By.CSS_SELECTOR, "#chart-mtta-month .bar-value b")
    ]
    assert labels == ["37m", "10m"]
    # the median and the p90 beside the mean: March's two are 4m and 70m
    spreads = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#chart-mtta-month .spread")]
    assert spreads == ["median 37m · p90 1h10m", "median 10m · p90 10m"]
    march = driver.find_element(By.CSS_SELECTOR, "#chart-mtta-month .track")
    # on the chart's one scale (its end the largest p90, 70m): the mean 37m at 52.86 %,
    # the p90 at the end
    bar = march.find_element(By.CSS_SELECTOR, ".bar").get_attribute("style")
    p90 = march.find_element(By.CSS_SELECTOR, ".mark.p90").get_attribute("style")
    assert "width: 52.86%" in (bar or "") and "left: 100%" in (p90 or "")
    # the cards name the median and p90 of each time beside its mean
    card = driver.find_element(By.CSS_SELECTOR, '.card[data-figure="MTTA mean"]').text
    assert "median" in card and "p90" in card
    # Every cycle is judged. SEV1 (C's running resolve is not): acknowledge 2, update_every
    # 5 (A 1 met + 2 missed, C 1 met + 1 breached), mitigate 2, resolve 1, postmortem 1,
    # rca 1 = 12; met: A's acknowledge, mitigate, resolve and two update cycles = 5.
    # SEV2: B resolve, E resolve, E's update cycle met; B's two update cycles missed: 3 of 5.
    assert values("#chart-attainment .bar-row") == {
        "rate/SEV1": str(round(100 * 5 / 12, 2)),
        "rate/SEV2": "60",
    }
    texts = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#chart-attainment .bar-value")]
    assert texts == ["41.7% (5 of 12)", "60.0% (3 of 5)"]
    detection = driver.find_element(By.CSS_SELECTOR, "#chart-detection .bar-row")
    assert detection.get_attribute("data-value") == "66.7"  # 2 of 3
    assert detection.get_attribute("data-goal") == "90"
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
    # a due date only beside the clock still running
    live = rows[0].find_elements(By.CSS_SELECTOR, "td")[4].text
    assert "resolve: running due 2026-04-05 14:00 UTC" in live
    assert live.count("due") == 1
    section = driver.find_element(By.ID, "INC-2026-0001")
    cells = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in section.find_elements(By.CSS_SELECTOR, "table.events tbody tr")
    ]
    assert cells[1] == [
        "2026-03-02 10:04 UTC",
        "Status changed from open to acknowledged",
        repo.shas[2][:12],
        "Alice Example <alice@example.com>",
    ]
    link = section.find_element(By.CSS_SELECTOR, "table.events tbody tr:nth-child(2) a")
    assert link.get_attribute("href") == (
        f"https://github.example.com/acme/incidents/commit/{repo.shas[2]}"
    )
    # timestamps never wrap: one line each
    stamp = section.find_element(By.CSS_SELECTOR, "table.events tbody tr:nth-child(2) time")
    assert stamp.size["height"] < 30
    # evidence is folded
    details = driver.find_elements(By.CSS_SELECTOR, "#breaches details")
    assert details and not any(d.get_attribute("open") for d in details)


def test_tables_sort_on_a_click(site: tuple[Any, Path], browser: Any) -> None:
    from selenium.webdriver.common.by import By

    _, out = site
    driver = browser
    driver.get((out / "index.html").as_uri())

    def order() -> list[str | None]:
        return [
            r.get_attribute("data-incident")
            for r in driver.find_elements(By.CSS_SELECTOR, "#incidents tbody tr")
        ]

    assert order() == [f"INC-2026-000{n}" for n in (1, 2, 3, 5)]
    mtta = driver.find_elements(By.CSS_SELECTOR, "#incidents thead th button")[6]
    assert mtta.text == "MTTA"
    mtta.click()  # A 4m, B 70m, C 10m, E none (cancelled): always last
    assert order() == ["INC-2026-0001", "INC-2026-0003", "INC-2026-0002", "INC-2026-0005"]
    mtta.click()
    assert order() == ["INC-2026-0002", "INC-2026-0003", "INC-2026-0001", "INC-2026-0005"]


def test_the_timeline_links_its_marks_to_commits(site: tuple[Any, Path], browser: Any) -> None:
    from selenium.webdriver.common.by import By

    repo, out = site
    driver = browser
    driver.get((out / "incidents" / "INC-2026-0001.html").as_uri())
    svg = driver.find_element(By.CSS_SELECTOR, "svg.timeline")
    phases = [
        (g.get_attribute("data-lane"), g.get_attribute("data-value"), g.get_attribute("data-at"))
        for g in svg.find_elements(By.CSS_SELECTOR, "g.phase")
    ]
    assert phases == [
        ("status", "open", "2026-03-02T10:00:00Z"),
        ("status", "acknowledged", "2026-03-02T10:04:00Z"),
        ("status", "mitigated", "2026-03-02T10:30:00Z"),
        ("status", "resolved", "2026-03-02T12:00:00Z"),
        ("severity", "SEV1", "2026-03-02T10:00:00Z"),
    ]
    links = [a.get_dom_attribute("href") for a in svg.find_elements(By.CSS_SELECTOR, "a")]
    assert f"https://github.example.com/acme/incidents/commit/{repo.shas[2]}" in links
    updates = [g.get_attribute("data-at") for g in svg.find_elements(By.CSS_SELECTOR, "g.update")]
    assert updates == ["2026-03-02T10:04:00Z", "2026-03-02T10:30:00Z"]
    clocks = {
        g.get_attribute("data-metric"): g.get_attribute("data-state")
        for g in svg.find_elements(By.CSS_SELECTOR, "g.clock")
    }
    assert clocks["acknowledge"] == "met" and clocks["resolve"] == "met"


def imported_history(path: Path) -> Any:
    """150 imported records over 100 months: most resolved within hours, a few after
    200 days and more, all in one commit, as an import from another tool lands."""
    from datetime import UTC, datetime, timedelta

    from gitrepo import Commit, build_repo, incident_yaml

    files = {}
    for n in range(150):
        month = n * 100 // 150
        opened = datetime(2018 + month // 12, month % 12 + 1, 3, 9, 0, tzinfo=UTC)
        resolve = timedelta(days=200 + n) if n % 37 == 5 else timedelta(minutes=30 + 7 * n)
        files[f"incidents/imported/INC-2018-{n + 1:04d}.yaml"] = incident_yaml(
            f"INC-2018-{n + 1:04d}", status="closed", severity=("SEV1", "SEV2", "SEV3")[n % 3],
            customer=("acme", "globex")[n % 2], reported_at=opened,
            milestones={
                "acknowledged_at": opened + timedelta(minutes=2 + n % 13),
                "resolved_at": opened + resolve,
                "closed_at": opened + resolve + timedelta(hours=1),
            },
        )  # fmt: skip
    return build_repo(path, [Commit("2026-04-05T09:00:00Z", files=files)])


def test_a_long_imported_history_stays_readable(
    run_cli: RunCli, tmp_path: Path, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.webdriver.common.by import By

    for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    repo = imported_history(tmp_path / "repo")
    page = tmp_path / "imported.html"
    result = run_cli(["-C", repo.path, "report", "--at", AT, "--format", "html", "--out", page])
    assert result.exit_code == 0, result.stderr
    driver = browser
    driver.get(page.as_uri())
    chart = driver.find_element(By.ID, "chart-mttr-month")
    rows = chart.find_elements(By.CSS_SELECTOR, ".bar-row")
    assert len(rows) == 100
    # outliers of 200+ days would flatten every other bar on a linear axis
    assert chart.get_attribute("data-scale") == "log"
    assert "log scale" in chart.find_element(By.TAG_NAME, "figcaption").text
    bars = chart.find_elements(By.CSS_SELECTOR, ".bar")
    track = chart.find_element(By.CSS_SELECTOR, ".track").size["width"]
    assert track > 600  # a chart of many rows spans the page's width
    assert min(b.size["width"] for b in bars) >= track / 10 - 1  # the shortest is still seen
    # MTTA's values lie close together: linear
    assert driver.find_element(By.ID, "chart-mtta-month").get_attribute("data-scale") == "linear"
    check_page(driver, page, "imported", axe_source())


def test_long_unbroken_words_wrap_instead_of_widening_pages(
    run_cli: RunCli, tmp_path: Path, browser: Any
) -> None:
    """Text people write: a long link in an update, a long title, a long service and
    customer name; every page type stays within 390 px."""
    from gitrepo import Commit, build_repo, incident_yaml, sla_policy_yaml, update

    long = "x" * 150
    path = "incidents/2026/INC-2026-0001.yaml"
    repo = build_repo(tmp_path / "repo", [
        Commit("2026-04-01T00:00:00Z", files={"policies/sla/gold.yaml": sla_policy_yaml("gold")}),
        Commit("2026-04-05T10:00:00Z", files={path: incident_yaml(
            status="acknowledged", severity="SEV1", title=f"Title{long}",
            customer=f"customer-{long}", services=[f"service-{long}"],
            updates=[update("2026-04-05T10:05:00Z", f"See https://status.example.com/{long}")],
        )}),
    ])  # fmt: skip
    out = tmp_path / "site"
    result = run_cli(["-C", repo.path, "site", "build", "--at", AT, "--out", out])
    assert result.exit_code == 0, result.stderr
    customers = list((out / "customers").iterdir())
    for name, page in [
        ("long-status", out / "status" / "index.html"),
        ("long-dashboard", out / "index.html"),
        ("long-incident", out / "incidents" / "INC-2026-0001.html"),
        ("long-customer", customers[0]),
    ]:
        check_page(browser, page, name, axe_source())
