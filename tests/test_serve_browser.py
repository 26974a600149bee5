"""The check page in a real browser: Debian's headless Chromium driven by Selenium through chromedriver.

Nothing is downloaded at test time: the browser and the driver are the system's packages (``.ci/run``
installs them); without them the test is skipped and says why. The server is the real command,
``python -m xlcheck serve``, on a loopback port.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason='the serve extra is not installed (pip install -e ".[serve]")')
pytest.importorskip("selenium", reason="selenium is not installed (the test extra)")

from openpyxl import load_workbook
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

import xlcheck
from xlcheck.findings import Severity
from xlcheck.marks import FILL, FONT, SUMMARY_SHEET, style_of

CHROMIUM = os.environ.get("XLCHECK_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("XLCHECK_CHROMEDRIVER", "/usr/bin/chromedriver")
SAMPLE = Path(__file__).parent.parent / "examples" / "xiaolou-2020.xlsx"

pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason=f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}): "
           "apt-get install chromium chromium-driver")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "xlcheck", "serve", "--port", str(port), "--workers", "1"],
                                   stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("xlcheck serve did not start:\n" + log.read_text(errors="replace")) from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(20)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, downloads: Path) -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1366,768",
                "--lang=zh-CN", f"--user-data-dir={tmp_path_factory.mktemp('profile')}"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        driver.set_window_size(1366, 768)
        yield driver
    finally:
        driver.quit()


def _rgb(css: str) -> tuple[int, int, int]:
    """``rgb(1, 2, 3)`` or ``rgba(1, 2, 3, 1)`` as a triple."""
    r, g, b = css[css.index("(") + 1:css.index(")")].split(",")[:3]
    return int(r), int(g), int(b)


def _argb(argb: str) -> tuple[int, int, int]:
    return int(argb[2:4], 16), int(argb[4:6], 16), int(argb[6:8], 16)


def _wait_for_download(folder: Path, name: str, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    target = folder / name
    while time.monotonic() < deadline:
        if target.exists() and not list(folder.glob("*.crdownload")) and target.stat().st_size:
            return target
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded; the folder holds {sorted(os.listdir(folder))}")


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_the_sample_in_a_real_browser(server: str, browser: Any, downloads: Path, tmp_path: Path) -> None:
    wait = WebDriverWait(browser, 30)
    browser.get(server)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#rules option[value='national']"))
    assert browser.title.startswith("年度报告表格校验")
    assert browser.execute_script("return [window.innerWidth, window.innerHeight]")[0] == 1366
    options = [o.get_attribute("value") for o in browser.find_elements(By.CSS_SELECTOR, "#rules option")]
    assert options[0] == "national" and "guangdong" in options

    browser.find_element(By.ID, "choose").send_keys(str(SAMPLE))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#findings tr.finding")))
    assert browser.find_element(By.ID, "verdict").text == "未通过：发现 4 个错误、1 个警告"
    # errors and warnings, errors first (an info line such as the localization's FIX may follow)
    rows = [r for r in browser.find_elements(By.CSS_SELECTOR, "#findings tr.finding")
            if r.get_attribute("data-severity") != "info"]
    seen = [(r.get_attribute("data-severity"), r.get_attribute("data-rule")) for r in rows]
    assert seen == [("error", "T3-ID"), ("error", "T3-ID"), ("error", "T3-RES"), ("error", "T3-RES"),
                    ("warning", "D3")]
    expected = xlcheck.check(SAMPLE)
    first_error = next(f for f in expected.findings if f.severity is Severity.ERROR)
    assert rows[0].find_elements(By.TAG_NAME, "td")[2].text == first_error.message
    assert rows[0].find_elements(By.TAG_NAME, "td")[0].text == "错误"
    assert rows[0].find_elements(By.TAG_NAME, "td")[3].text.split()[:4] == list(first_error.cells)[:4]
    # the localization's answer heads the report, before the findings: its sentence, then its cells
    fix = next(f for f in expected.findings if f.rule == "FIX")
    line = browser.find_element(By.CSS_SELECTOR, "#fixes .fix-line")
    assert line.text == fix.message and line.location["y"] < rows[0].location["y"]
    assert "Sheet1!D58 三（七）总计（自然人）填的是 0，应为 1" in line.text
    suggestions = [r.text.split() for r in browser.find_elements(By.CSS_SELECTOR, "#suggestions tr.suggestion")]
    assert suggestions == [["Sheet1!D58", "0", "1", "T3-ID、T3-RES"], ["Sheet1!J58", "0", "1", "T3-ID、T3-RES"]]
    assert [s.to_dict()["cell"] for s in expected.suggestions] == ["Sheet1!D58", "Sheet1!J58"]
    assert not browser.find_elements(By.CSS_SELECTOR, "#candidates")
    assert "FIX" not in [r.get_attribute("data-rule") for r in browser.find_elements(By.CSS_SELECTOR, "#findings tr")]

    # tables 三 and 四, coloured as the annotated copy colours them
    titles = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".preview h3")]
    assert titles == ["表三（工作表 Sheet1）", "表四（工作表 Sheet1）"]
    d58 = browser.find_element(By.CSS_SELECTOR, "td[data-ref='Sheet1!D58']")
    assert d58.text == "0" and "mark-error" in d58.get_attribute("class")
    assert "suggested" in d58.get_attribute("class") and d58.get_attribute("data-suggested") == "1"
    assert "应为 1" in d58.get_attribute("title")
    suspect = style_of(Severity.ERROR, True)  # the suspects stand out as in the annotated copy
    for ref in ("Sheet1!D58", "Sheet1!J58"):
        cell = browser.find_element(By.CSS_SELECTOR, f"td[data-ref='{ref}']")
        assert _rgb(cell.value_of_css_property("background-color")) == _argb(suspect.fill)
        assert _rgb(cell.value_of_css_property("color")) == _argb(suspect.font)
    d33 = browser.find_element(By.CSS_SELECTOR, "td[data-ref='Sheet1!D33']")  # involved, not a suspect
    assert "mark-error" in d33.get_attribute("class") and "suggested" not in d33.get_attribute("class")
    assert _rgb(d33.value_of_css_property("background-color")) == _argb(FILL[Severity.ERROR])
    assert _rgb(d33.value_of_css_property("color")) == _argb(FONT[Severity.ERROR])
    e33 = browser.find_element(By.CSS_SELECTOR, "td[data-ref='Sheet1!E33']")
    assert "mark-" not in (e33.get_attribute("class") or "")

    shot = tmp_path / "page-1366x768.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("XLCHECK_SCREENSHOT"):  # keep it to look at
        shutil.copy(shot, os.environ["XLCHECK_SCREENSHOT"])

    # a finding's cell link brings its cell into view in the preview
    link = next(a for a in rows[2].find_elements(By.CSS_SELECTOR, "a.cell") if a.text == "Sheet1!D58")
    link.click()
    wait.until(lambda d: "flash" in d58.get_attribute("class"))
    assert browser.execute_script("var r = arguments[0].getBoundingClientRect(); return r.top >= 0 && "
                                  "r.bottom <= window.innerHeight", d58)
    if os.environ.get("XLCHECK_SCREENSHOT"):
        browser.save_screenshot(os.environ["XLCHECK_SCREENSHOT"].replace(".png", "-preview.png"))

    # the annotated copy, downloaded by the browser: the very copy the command line writes
    browser.find_element(By.ID, "download").click()
    copy = _wait_for_download(downloads, "xiaolou-2020.checked.xlsx")
    cli_copy = tmp_path / "cli.xlsx"
    xlcheck.annotate(expected, cli_copy)
    assert _members(copy.read_bytes()) == _members(cli_copy.read_bytes())
    book = load_workbook(copy)
    assert book.sheetnames[0] == SUMMARY_SHEET
    assert "T3-RES" in book["Sheet1"]["D58"].comment.text


def test_several_files_and_a_bad_one(server: str, browser: Any, downloads: Path, tmp_path: Path) -> None:
    wait = WebDriverWait(browser, 30)
    browser.get(server)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#rules option[value='national']"))
    bad = tmp_path / "扫描件.xlsx"
    bad.write_bytes(b"%PDF-1.7\n1 0 obj << >> endobj\n")
    browser.find_element(By.ID, "choose").send_keys(f"{SAMPLE}\n{bad}")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#files button")) == 2)
    wait.until(ec.visibility_of_element_located((By.ID, "summary")))
    assert browser.find_element(By.ID, "progress-text").text == "已校验 2 个文件"
    buttons = browser.find_elements(By.CSS_SELECTOR, "#files button")
    verdicts = [b.find_element(By.CLASS_NAME, "verdict").text for b in buttons]
    assert verdicts == ["未通过：发现 4 个错误、1 个警告", "无法校验"]
    browser.find_elements(By.CSS_SELECTOR, "#files button")[1].click()
    alert = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".error-box")))
    assert "扫描件.xlsx：" in alert.text and "PDF" in alert.text
    browser.find_element(By.ID, "summary").click()
    summary = _wait_for_download(downloads, "校验汇总.xlsx")
    rows = list(load_workbook(summary)["文件汇总"].iter_rows(values_only=True))
    column = {name: i for i, name in enumerate(rows[0])}
    assert [r[column["文件"]] for r in rows[1:3]] == ["xiaolou-2020.xlsx", "扫描件.xlsx"]
    assert [r[column["结论"]] for r in rows[1:3]] == ["未通过", "无法校验"]


def test_an_ambiguous_slip_shows_its_candidates(server: str, browser: Any, tmp_path: Path) -> None:
    import corpus

    values = corpus.consistent_values("2021", seed=1)
    # 行政复议 2 + 1 + 0 + 3 = 6 with 结果纠正 typed 4: the total or any part could be the wrong one
    values.update({"t4.review.upheld": 2, "t4.review.corrected": 4, "t4.review.other": 0, "t4.review.pending": 3,
                   "t4.review.total": 6})
    path = tmp_path / "表四一格填错.xlsx"
    cells = corpus.write_report(path, "2021", values, year=2022)
    expected = xlcheck.check(path)
    wait = WebDriverWait(browser, 30)
    browser.get(server)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#rules option[value='national']"))
    browser.find_element(By.ID, "choose").send_keys(str(path))
    panel = wait.until(ec.presence_of_element_located((By.ID, "fixes")))
    assert panel.find_element(By.TAG_NAME, "h3").text == "可能填错的单元格"
    line = panel.find_element(By.CLASS_NAME, "fix-line").text
    assert line == next(f.message for f in expected.findings if f.rule == "FIX")
    assert "中有一格填错，无法确定是哪一格" in line
    assert not browser.find_elements(By.CSS_SELECTOR, "#suggestions")
    options = [r.text.split() for r in browser.find_elements(By.CSS_SELECTOR, "#candidates tr.candidate")]
    assert options == [["改法", str(i), fix[0].cell, str(int(fix[0].current or 0)), str(int(fix[0].suggested))]
                       for i, fix in enumerate(expected.candidates, 1)]
    assert {fix[0].cell for fix in expected.candidates} == {cells["t4.review.corrected"], cells["t4.review.total"],
                                                             cells["t4.review.pending"]}
    # in the preview the candidates are outlined, and none takes the suspect's look: the tables cannot tell
    dashed = {td.get_attribute("data-ref") for td in browser.find_elements(By.CSS_SELECTOR, "td.candidate")}
    assert dashed == {fix[0].cell for fix in expected.candidates}
    assert not browser.find_elements(By.CSS_SELECTOR, "td.mark-suspect")
    assert panel.location["y"] < browser.find_element(By.ID, "findings").location["y"]
