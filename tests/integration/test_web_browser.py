"""The web console in a real headless browser (Debian's chromium and chromedriver via selenium) against the
real broker and a worker (issue 20, done means): the page shows a new alert for a listed plate within a few
seconds; the drill's lockdown appears with its rings; a followed vehicle's intercept-ahead checkpoints are
marked on the map; accepting an alert from the page puts the accepted
version on `alerts`, signed as the logged-in operator; a non-privileged login never shows a restricted
alert. The browser, its driver and a CJK font are installed from Debian when missing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from streams import topics
from streams.domain.geography.layout import generate_topology
from streams.domain.geography.topology import load
from tests.integration.conftest import Cluster
from tests.integration.debian import ensure_packages
from tests.integration.test_drill import drill_call
from tests.integration.test_hits_to_alerts import live_entry, live_hit
from tests.integration.test_web import PASSPHRASE, Console
from tests.integration.test_web import console as console  # the fixture

pytestmark = pytest.mark.kafka

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


@pytest.fixture
def browsers(cluster: Cluster) -> Iterator[Callable[[], Any]]:
    ensure_packages(["chromium", "chromium-driver", "fonts-noto-cjk"], [CHROMIUM, CHROMEDRIVER, CJK_FONT])
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opened: list[Any] = []

    def open_one() -> Any:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--window-size=1600,1000",
        ):
            options.add_argument(argument)
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        opened.append(driver)
        return driver

    yield open_one
    for driver in opened:
        driver.quit()


def log_in(driver: Any, console: Console, operator_id: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{console.url}/login")
    driver.find_element(By.NAME, "operator_id").send_keys(operator_id)
    driver.find_element(By.NAME, "passphrase").send_keys(PASSPHRASE)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, "document.getElementById('connection').dataset.state === 'live'")


def wait_for(driver: Any, condition: str, timeout: float = 20.0) -> Any:
    """Until the JavaScript expression `condition` is truthy in the page; its value. An expression that
    throws (the page still loading, after a form's submit) counts as not yet."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(f"try {{ return {condition}; }} catch (error) {{ return null; }}")
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true in the page within {timeout} s: {condition}")
        time.sleep(0.1)


def plates_listed(driver: Any) -> list[str]:
    listed: list[str] = driver.execute_script(
        "return [...document.querySelectorAll('#alerts li .plate')].map((e) => e.textContent);"
    )
    return listed


def test_the_desk_in_a_browser(cluster: Cluster, console: Console, browsers: Callable[[], Any]) -> None:
    cluster.send(topics.WATCHLIST, live_entry("WL-B", "苏K12345"), key="WL-B")
    cluster.send(
        topics.WATCHLIST, live_entry("WL-B-C", "苏A9B876", category="wanted", covert=True), key="WL-B-C"
    )
    lookout = live_entry(
        "WL-B-L", "苏H·T3683", category="lookout", source_agency="淮安市公安局", incident_id="HA-B-1"
    )
    cluster.send(topics.WATCHLIST, lookout, key="WL-B-L")
    cluster.flush()
    cluster.start_worker()
    cluster.wait_past_listing()
    privileged, plain = browsers(), browsers()
    log_in(privileged, console, "op-7")
    log_in(plain, console, "op-8")
    assert privileged.execute_script("return !document.getElementById('privileged').hidden;")
    assert plain.execute_script("return document.getElementById('privileged').hidden;")

    sent = time.monotonic()
    cluster.send(topics.HITS, live_hit("b-1", "苏K12345", checkpoint_id="YZ-EC-0001"), key="YZ-EC-0001")
    cluster.send(topics.HITS, live_hit("b-2", "苏A9B876", checkpoint_id="YZ-EC-0002"), key="YZ-EC-0002")
    cluster.flush()
    wait_for(
        plain, "[...document.querySelectorAll('#alerts li .plate')].some((e) => e.textContent === '苏K12345')"
    )
    assert time.monotonic() - sent < 15
    wait_for(privileged, "document.querySelectorAll('#alerts li').length >= 2")
    assert sorted(plates_listed(privileged)) == ["苏A9B876", "苏K12345"]

    cluster.send(topics.CALLS, drill_call("110-browser-1"), key="110-browser-1")
    cluster.flush()
    wait_for(plain, "document.querySelector('.ring.closed[data-ring=\"core\"]') !== null")
    rings = wait_for(
        plain, "[...document.querySelectorAll('.lockdown .ring-progress')].map((e) => e.dataset.ring)"
    )
    assert "core" in rings
    assert wait_for(plain, "document.querySelectorAll('.point.required').length") > 0
    plain.save_screenshot(str(cluster.workdir / "desk-plain.png"))

    # Accept the ordinary alert from the privileged operator's page: the command side's answer is shown,
    # and the accepted version is on `alerts`, reviewed by op-7.
    alert_id = privileged.execute_script(
        "return [...document.querySelectorAll('#alerts li')].find((e) =>"
        " e.querySelector('.plate').textContent === '苏K12345').dataset.alertId;"
    )
    privileged.execute_script(
        f"document.querySelector('#alerts li[data-alert-id=\"{alert_id}\"] button.accept').click();"
    )
    wait_for(privileged, "document.querySelector('#answers li.applied') !== null")
    accepted = cluster.read(
        topics.ALERTS,
        until=lambda found: any(a["alert_id"] == alert_id and a["state"] == "accepted" for a in found),
    )
    [version] = [a for a in accepted if a["alert_id"] == alert_id and a["state"] == "accepted"]
    assert version["review"]["operator_id"] == "op-7"  # type: ignore[index]
    wait_for(plain, f"document.querySelector('#alerts li[data-alert-id=\"{alert_id}\"].accepted') !== null")
    privileged.save_screenshot(str(cluster.workdir / "desk-privileged.png"))

    # The plain operator's page never showed the covert plate.
    assert "苏A9B876" not in plates_listed(plain)
    assert "苏A9B876" not in plain.page_source

    # Another agency's lookout seen twice: the checkpoints it should pass next are marked on the map.
    topology = load(generate_topology(2022))
    here = next(
        p
        for p in sorted(topology.points.values(), key=lambda p: p.id)
        if p.kind == "electronic_checkpoint" and p.ring is None and len(p.neighbours) >= 2
    )
    now = datetime.now(UTC)
    for n, (point_id, seconds_ago) in enumerate([(here.neighbours[0], 40), (here.id, 10)]):
        at = (now - timedelta(seconds=seconds_ago)).isoformat()
        hit = live_hit(f"b-l-{n}", "苏HT3683", checkpoint_id=point_id, event_time=at, candidates=[])
        cluster.send(topics.HITS, hit, key=point_id)
        cluster.flush()
    alerts = cluster.read(topics.ALERTS, until=lambda m: any(a["kind"] == "intercept_ahead" for a in m))
    [ahead] = [a for a in alerts if a["kind"] == "intercept_ahead"]
    expected = sorted(str(p["point_id"]) for p in ahead["intercept"]["points"])  # type: ignore[index]
    marked = wait_for(
        plain,
        "[...document.querySelectorAll('circle.ahead[data-incident-id=\"HA-B-1\"]')]"
        ".map((e) => e.dataset.point).join(' ')",
    )
    assert sorted(marked.split()) == expected
