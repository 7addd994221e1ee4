"""A real browser (Debian's chromium, headless, via Selenium and chromedriver) against the
dashboard served by uvicorn: log in, open a run, report bias with a script payload, triage it,
and see the payload as text. Screenshots go to ``$EQUILENS_TEST_ARTIFACTS`` (else tmp_path)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from _server import PASSWORD

PAYLOAD = '<script>document.title="pwned";window.pwned=1</script><b>bold?</b>'


def _driver() -> Any:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip("chromium and chromedriver are not installed (Debian: chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver_path), options=options)


@pytest.mark.slow
def test_browser_report_and_triage(site: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from equilens.server import running_server

    shots = Path(os.environ.get("EQUILENS_TEST_ARTIFACTS", tmp_path)) / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    app = site.make().app
    driver = _driver()
    try:
        with running_server(app) as base:

            def login(name: str) -> None:
                driver.delete_all_cookies()
                driver.get(f"{base}/login")
                driver.find_element(By.ID, "name").send_keys(name)
                driver.find_element(By.ID, "password").send_keys(PASSWORD)
                driver.find_element(By.ID, "login").click()
                WebDriverWait(driver, 20).until(ec.url_contains("/models"))

            login("reporter")
            assert driver.current_url.endswith("/models"), driver.current_url
            driver.get(f"{base}/runs/2")
            assert driver.find_element(By.ID, "verdict").text == "block"
            driver.save_screenshot(str(shots / "1-run.png"))
            driver.get(f"{base}/reports/new")
            Select(driver.find_element(By.ID, "model")).select_by_index(0)
            driver.find_element(By.ID, "prompt").send_keys(PAYLOAD)
            driver.find_element(By.ID, "observed").send_keys("declined")
            driver.find_element(By.ID, "expected").send_keys("approved")
            driver.find_element(By.ID, "affected_group").send_keys(PAYLOAD)
            Select(driver.find_element(By.ID, "severity")).select_by_visible_text("high")
            driver.save_screenshot(str(shots / "2-form.png"))
            driver.find_element(By.ID, "submit-report").click()
            WebDriverWait(driver, 20).until(ec.url_matches(r"/reports/1$"))

            login("triager")
            driver.get(f"{base}/reports/1")
            Select(driver.find_element(By.ID, "new-status")).select_by_visible_text("triaged")
            driver.find_element(By.ID, "note").send_keys("looking")
            driver.find_element(By.ID, "change-status").click()
            WebDriverWait(driver, 20).until(
                ec.text_to_be_present_in_element((By.ID, "status"), "triaged")
            )
            assert driver.find_element(By.ID, "prompt").text == PAYLOAD
            assert driver.find_element(By.ID, "affected").text == PAYLOAD
            assert driver.find_elements(By.CSS_SELECTOR, "#prompt b") == []
            assert driver.execute_script("return window.pwned === undefined")
            assert "pwned" not in driver.title
            driver.save_screenshot(str(shots / "3-triaged.png"))
    finally:
        driver.quit()
    assert all(
        (shots / f).stat().st_size > 1000 for f in ("1-run.png", "2-form.png", "3-triaged.png")
    )
    events = site.db.report_events(1)
    assert [(e["actor"], e["new_value"]) for e in events] == [
        ("reporter", "new"),
        ("triager", "triaged"),
    ]
