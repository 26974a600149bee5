"""``xlcheck serve``'s JSON API through Starlette's ASGI test client, with real worker processes.

What a client sees: the same JSON as the command line, the same annotated copy, the same Chinese
message for a bad file (with a 4xx), and the limits — size, files per request, busy workers, the time
limit — each answered with its own message. Nothing sent is kept, and no client path is ever used.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import tempfile
import threading
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason='the serve extra is not installed (pip install -e ".[serve]")')
pytest.importorskip("httpx", reason="Starlette's test client needs httpx (the test extra)")

import malformed
from openpyxl import load_workbook

with warnings.catch_warnings():  # Starlette 1.x prefers httpx2; httpx works with every version we allow
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from xlcheck import cli
from xlcheck.findings import Severity
from xlcheck.marks import FILL, FONT, SUMMARY_SHEET, style_of
from xlcheck.serve.app import ServeSettings, create_app
from xlcheck.serve.jobs import safe_name
from xlcheck.serve.pool import PoolSettings

SAMPLE = Path(__file__).parent.parent / "examples" / "xiaolou-2020.xlsx"
SAMPLE_NAME = "xiaolou-2020.xlsx"


def _problems(report: dict[str, object]) -> list[str]:
    """The rule ids of a report dict's errors and warnings (info findings such as FIX left out)."""
    return sorted(f["rule"] for f in report["findings"] if f["severity"] != "info")  # type: ignore[attr-defined,index]
HERE = str(Path(__file__).parent)


def _client(**pool: object) -> TestClient:
    settings = {k: pool.pop(k) for k in ("max_upload_mb", "max_files") if k in pool}
    return TestClient(create_app(ServeSettings(pool=PoolSettings(**pool), **settings)))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with _client(workers=2) as c:
        yield c


def _files(*items: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes]]]:
    return [("files", (name, data)) for name, data in items]


def _cli_json(folder: Path, names: list[str], *options: str, capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    monkeypatch.chdir(folder)
    capsys.readouterr()
    cli.main(["check", *names, "--format", "json", "--no-annotate", "-j", "1", *options])
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def _zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


# ------------------------------------------------------------------------------------------ the contract

def test_check_is_the_cli_json(client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / SAMPLE_NAME).write_bytes(SAMPLE.read_bytes())
    response = client.post("/api/check", files=_files((SAMPLE_NAME, SAMPLE.read_bytes())))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body == _cli_json(tmp_path, [SAMPLE_NAME], capsys=capsys, monkeypatch=monkeypatch)
    rules = [f["rule"] for f in body["reports"][0]["findings"] if f["severity"] == "error"]
    assert sorted(rules) == ["T3-ID", "T3-ID", "T3-RES", "T3-RES"]


@pytest.mark.parametrize(("fields", "options"), [({"rules": "guangdong"}, ["--rules", "guangdong"]),
                                                  ({"year": "2021"}, ["--year", "2021"])])
def test_rules_and_year_fields_are_the_cli_options(client: TestClient, tmp_path: Path, fields: dict[str, str],
                                                   options: list[str], capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / SAMPLE_NAME).write_bytes(SAMPLE.read_bytes())
    response = client.post("/api/check", files=_files((SAMPLE_NAME, SAMPLE.read_bytes())), data=fields)
    expected = _cli_json(tmp_path, [SAMPLE_NAME], *options, capsys=capsys, monkeypatch=monkeypatch)
    assert response.json() == expected
    plain = client.post("/api/check", files=_files((SAMPLE_NAME, SAMPLE.read_bytes()))).json()
    assert plain != expected  # the field made a difference, as the option does


def test_bad_and_hostile_files_get_the_cli_message_and_422(client: TestClient, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    words = malformed.build_bad(tmp_path, heavy=False)
    names = sorted(n for n in words if (tmp_path / n).is_file() and not n.startswith("~$"))
    expected = _cli_json(tmp_path, names, capsys=capsys, monkeypatch=monkeypatch)
    for start in range(0, len(names), 10):  # within the default cap of files per request
        chunk = names[start:start + 10]
        response = client.post("/api/check", files=_files(*((n, (tmp_path / n).read_bytes()) for n in chunk)))
        assert response.status_code == 422
        assert "Traceback" not in response.text
        assert response.json()["reports"] == expected["reports"][start:start + 10]  # type: ignore[index]
    for report in expected["reports"]:  # type: ignore[attr-defined]
        assert report["error"].startswith(report["path"] + "：")
    # one file at a time, annotating: the same message, alone
    pdf = (tmp_path / "pdf-renamed.xlsx").read_bytes()
    response = client.post("/api/annotate", files=_files(("pdf-renamed.xlsx", pdf)))
    assert response.status_code == 422
    assert response.json()["error"].startswith("pdf-renamed.xlsx：") and "PDF" in response.json()["error"]


def test_one_bad_file_among_good_ones(client: TestClient) -> None:
    response = client.post("/api/check", files=_files((SAMPLE_NAME, SAMPLE.read_bytes()), ("空.xlsx", b"")))
    assert response.status_code == 422
    first, second = response.json()["reports"]
    assert first["path"] == SAMPLE_NAME and _problems(first) == ["D3", "T3-ID", "T3-ID", "T3-RES", "T3-RES"]
    assert "error" not in first
    assert second["path"] == "空.xlsx" and second["error"].startswith("空.xlsx：")


def test_annotate_is_the_cli_copy(client: TestClient, tmp_path: Path) -> None:
    source = tmp_path / SAMPLE_NAME
    source.write_bytes(SAMPLE.read_bytes())
    assert cli.main(["check", str(source), "--output", str(tmp_path / "cli.xlsx"), "-j", "1"]) == 1
    response = client.post("/api/annotate", files=_files((SAMPLE_NAME, SAMPLE.read_bytes())))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''xiaolou-2020.checked.xlsx" in response.headers["content-disposition"]
    assert _zip_members(response.content) == _zip_members((tmp_path / "cli.xlsx").read_bytes())
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == SUMMARY_SHEET
    sheet = book["Sheet1"]
    for ref in ("D58", "J58", "D35", "C27"):
        assert sheet[ref].comment is not None and "[" in sheet[ref].comment.text
    marked = {str(rng) for cf in sheet.conditional_formatting for rng in cf.sqref.ranges}
    assert {"D58", "J58", "C27"} <= marked


def test_annotate_keeps_a_chinese_name_and_xlsm(client: TestClient) -> None:
    response = client.post("/api/annotate", files=_files(("小楼镇 2020.xlsm", SAMPLE.read_bytes())))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.ms-excel.sheet.macroEnabled.12"
    disposition = response.headers["content-disposition"]
    assert "filename*=UTF-8''%E5%B0%8F%E6%A5%BC%E9%95%87%202020.checked.xlsm" in disposition
    assert disposition.isascii()


def test_clean_is_the_cli_clean(client: TestClient, tmp_path: Path) -> None:
    marked = client.post("/api/annotate", files=_files((SAMPLE_NAME, SAMPLE.read_bytes()))).content
    (tmp_path / "marked.xlsx").write_bytes(marked)
    assert cli.main(["clean", str(tmp_path / "marked.xlsx"), "-o", str(tmp_path / "cli.xlsx")]) == 0
    response = client.post("/api/clean", files=_files(("marked.xlsx", marked)))
    assert response.status_code == 200
    assert "filename*=UTF-8''marked.cleaned.xlsx" in response.headers["content-disposition"]
    assert _zip_members(response.content) == _zip_members((tmp_path / "cli.xlsx").read_bytes())
    assert SUMMARY_SHEET not in load_workbook(io.BytesIO(response.content)).sheetnames
    bad = client.post("/api/clean", files=_files(("notes.xlsx", b"just text\n")))
    assert bad.status_code == 422 and bad.json()["error"].startswith("notes.xlsx：")


def test_summary_workbook(client: TestClient) -> None:
    response = client.post("/api/summary", files=_files(("甲.xlsx", SAMPLE.read_bytes()), ("乙.xlsx", b"%PDF-1.4")))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["文件汇总"].iter_rows(values_only=True))
    column = {name: i for i, name in enumerate(rows[0])}
    files = {row[column["文件"]]: row for row in rows[1:] if row[column["文件"]]}
    assert files["甲.xlsx"][column["结论"]] == "未通过" and files["甲.xlsx"][column["错误数"]] == 4
    assert files["乙.xlsx"][column["结论"]] == "无法校验"


def test_preview_marks_as_the_copy(client: TestClient) -> None:
    response = client.post("/api/preview", files=_files((SAMPLE_NAME, SAMPLE.read_bytes())))
    assert response.status_code == 200
    body = response.json()
    checked = client.post("/api/check", files=_files((SAMPLE_NAME, SAMPLE.read_bytes()))).json()
    assert body["report"] == checked["reports"][0]
    titles = [t["title"] for t in body["tables"]]
    assert titles == ["表三", "表四"]
    t3 = body["tables"][0]
    cells = {c["ref"]: c for row in t3["rows"] for c in row if c}
    assert cells["D58"]["mark"] == "error" and "[T3-RES]" in cells["D58"]["note"] and cells["D58"]["text"] == "0"
    assert cells["D33"]["text"] == "1" and cells["D33"]["mark"] == "error"
    assert "mark" not in cells["E33"]
    assert any("三、" in c["text"] for c in cells.values())  # the header rows came along
    # the localization's answer, on the cells the page colours as suspects
    assert {ref: c["suggested"] for ref, c in cells.items() if "suggested" in c} == {"D58": 1, "J58": 1}
    assert {ref for ref, c in cells.items() if c.get("suspect")} == {"D58", "J58"}
    assert cells["D58"]["note"].startswith("[FIX] 最可能填错：这一格填的是 0，应为 1")
    assert not any(c.get("candidate") for c in cells.values())
    css = client.get("/marks.css").text
    assert f"#{FILL[next(iter(FILL))][2:]}" in css and f"#{FONT[next(iter(FONT))][2:]}" in css
    suspect = style_of(Severity.ERROR, True)
    assert f".mark-suspect {{ background: #{suspect.fill[2:]}; color: #{suspect.font[2:]}; }}" in css


def test_an_ambiguous_table_four_slip_lists_candidates_not_an_answer(
        client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import corpus

    values = corpus.consistent_values("2021", seed=1)
    # 行政复议: 2 + 1 + 0 + 3 = 6, with 结果纠正 typed 4 for 1 — the total or any part could be the wrong one
    values.update({"t4.review.upheld": 2, "t4.review.corrected": 4, "t4.review.other": 0, "t4.review.pending": 3,
                   "t4.review.total": 6})
    name = "表四一格填错.xlsx"
    cells = corpus.write_report(tmp_path / name, "2021", values, year=2022)
    data = (tmp_path / name).read_bytes()
    body = client.post("/api/check", files=_files((name, data))).json()
    assert body == _cli_json(tmp_path, [name], capsys=capsys, monkeypatch=monkeypatch)
    report = body["reports"][0]
    assert report["suggestions"] == []
    options = sorted([(s["cell"], s["current"], s["suggested"]) for s in fix] for fix in report["candidates"])
    assert options == sorted([[(cells["t4.review.corrected"], 4, 1)], [(cells["t4.review.total"], 6, 9)],
                              [(cells["t4.review.pending"], 3, 0)]])
    (fix,) = [f for f in report["findings"] if f["rule"] == "FIX"]
    assert fix["severity"] == "info"
    assert fix["message"].startswith("表四 行政复议 的五格中有一格填错，无法确定是哪一格")
    # the page's preview flags the three cells one of which is wrong, and suggests none of them
    preview = client.post("/api/preview", files=_files((name, data))).json()
    assert preview["report"] == report
    shown = [(f"{t['sheet']}!{c['ref']}", c) for t in preview["tables"] for row in t["rows"] for c in row if c]
    assert {ref for ref, c in shown if c.get("candidate")} == {cell for option in options for cell, _, _ in option}
    assert not any("suggested" in c for _, c in shown)


def test_rules_plugins_health_and_openapi(client: TestClient) -> None:
    rules = client.get("/api/rules").json()
    assert rules["default"] == "national"
    names = [s["name"] for s in rules["rulesets"]]
    assert names[0] == "national" and "guangdong" in names
    national = rules["rulesets"][0]
    assert {"T3-ID", "T3-RES", "T4-SUM"} <= {r["id"] for r in national["rules"]}
    plugins = client.get("/api/plugins").json()["plugins"]
    assert {"national", "guangdong"} <= {p["name"] for p in plugins}
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["workers"] == 2
    spec = client.get("/api/openapi.json").json()
    assert {"/api/check", "/api/annotate", "/api/clean", "/api/rules", "/api/plugins", "/healthz"} <= set(spec["paths"])
    assert "default-src 'self'" in client.get("/healthz").headers["content-security-policy"]
    assert client.get("/api/docs").url.path == "/static/api.html"


def test_the_page_and_its_assets_come_from_the_server(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    # relative URLs, so that a reverse proxy may serve the page under a prefix
    assert '<script src="static/app.js"' in page.text
    assert 'href="static/app.css"' in page.text and 'href="marks.css"' in page.text
    # offline government networks: the page loads nothing from anywhere else
    for text in (page.text, *(client.get(a).text for a in ("/static/app.js", "/static/app.css", "/marks.css"))):
        assert "http://" not in text and "https://" not in text and "//cdn" not in text
    assert client.get("/static/api.html").status_code == 200


# ------------------------------------------------------------------------------------------ refusals

@pytest.mark.parametrize(("send", "status", "words"), [
    ({"content": b"{}", "headers": {"content-type": "application/json"}}, 415, "multipart/form-data"),
    ({"content": b"--x\r\nbroken", "headers": {"content-type": "multipart/form-data; boundary=x"}}, 400,
     "没有收到文件"),
    ({"content": b"oops", "headers": {"content-type": "multipart/form-data"}}, 400, "无法解析"),
    ({"content": b'--b\r\nContent-Disposition: form-data; name="rules"\r\n\r\nnational\r\n--b--\r\n',
      "headers": {"content-type": "multipart/form-data; boundary=b"}}, 400, "没有收到文件"),
    ({"files": [("upload", ("a.xlsx", b"x"))]}, 400, "files 字段"),
    ({"files": [("files", ("a.xlsx", b"x"))], "data": {"rules": "没有这个"}}, 400, "没有名为 没有这个 的规则集"),
    ({"files": [("files", ("a.xlsx", b"x"))], "data": {"year": "去年"}}, 400, "年度须为四位数字"),
    ({"files": [("files", ("a.xlsx", b"x"))], "data": {"year": "20211"}}, 400, "年度须为四位数字"),
])
def test_bad_requests_are_told_why(client: TestClient, send: dict[str, object], status: int, words: str) -> None:
    response = client.post("/api/check", **send)  # type: ignore[arg-type]
    assert response.status_code == status
    assert words in response.json()["error"]


def test_one_file_endpoints_take_one(client: TestClient) -> None:
    for endpoint in ("/api/annotate", "/api/clean", "/api/preview"):
        response = client.post(endpoint, files=_files(("a.xlsx", b"1"), ("b.xlsx", b"2")))
        assert response.status_code == 400 and "一次只处理一个文件" in response.json()["error"]


def test_oversize_is_refused_declared_or_streamed() -> None:
    with _client(workers=1, max_upload_mb=0.5) as small:
        big = b"x" * (600 * 1024)
        response = small.post("/api/check", files=_files(("big.xlsx", big)))
        assert response.status_code == 413 and "超过 0.5 MB" in response.json()["error"]
        head = b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.xlsx"\r\n\r\n'
        body = head + big + b"\r\n--b--\r\n"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the counter must catch it
            for i in range(0, len(body), 65536):
                yield body[i:i + 65536]

        response = small.post("/api/check", content=chunks(),
                              headers={"content-type": "multipart/form-data; boundary=b"})
        assert response.status_code == 413 and "超过 0.5 MB" in response.json()["error"]
        assert small.post("/api/check", files=_files((SAMPLE_NAME, SAMPLE.read_bytes()))).status_code == 200


def test_files_per_request_cap() -> None:
    with _client(workers=1, max_files=2) as capped:
        response = capped.post("/api/check", files=_files(*((f"{i}.xlsx", SAMPLE.read_bytes()) for i in range(3))))
        assert response.status_code == 413 and "一次最多上传 2 个文件" in response.json()["error"]
        assert capped.post("/api/check", files=_files(*((f"{i}.xlsx", SAMPLE.read_bytes()) for i in range(2)))
                           ).status_code == 200


@pytest.fixture
def slow_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(HERE)  # spawned workers inherit sys.path
    monkeypatch.setenv("XLCHECK_TEST_SLOW", "3")


def test_concurrency_cap_answers_busy(slow_plugin: None) -> None:
    with _client(workers=1, queue=0, timeout=30, plugins=("serve_slow_plugin",)) as busy:
        results: dict[str, int] = {}

        def slow_request() -> None:
            results["slow"] = busy.post("/api/check", files=_files((SAMPLE_NAME, SAMPLE.read_bytes())),
                                        data={"rules": "slow"}).status_code

        worker = threading.Thread(target=slow_request)
        worker.start()
        for _ in range(200):  # until the slow check is running
            if busy.get("/healthz").json()["running"] == 1:
                break
            threading.Event().wait(0.02)
        response = busy.post("/api/check", files=_files((SAMPLE_NAME, SAMPLE.read_bytes())))
        assert response.status_code == 503
        assert "服务器正忙" in response.json()["error"] and response.headers["retry-after"]
        worker.join()
        assert results["slow"] == 200
        assert busy.post("/api/check", files=_files((SAMPLE_NAME, SAMPLE.read_bytes()))).status_code == 200


def test_time_limit_stops_the_check_and_the_server_goes_on(slow_plugin: None) -> None:
    with _client(workers=1, timeout=1, plugins=("serve_slow_plugin",)) as limited:
        root = limited.app.state.pool.root
        response = limited.post("/api/check", files=_files((SAMPLE_NAME, SAMPLE.read_bytes())), data={"rules": "slow"})
        assert response.status_code == 422 and "超过 1 秒" in response.json()["error"]
        assert os.listdir(root) == []  # the killed worker's folder is gone too
        again = limited.post("/api/check", files=_files((SAMPLE_NAME, SAMPLE.read_bytes())))
        assert again.status_code == 200
        assert _problems(again.json()["reports"][0]) == ["D3", "T3-ID", "T3-ID", "T3-RES", "T3-RES"]


# ------------------------------------------------------------------------------------------ nothing kept

def test_nothing_left_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", None)  # make tempfile look at TMPDIR again
    with _client(workers=1) as c:
        root = c.app.state.pool.root
        assert Path(root).parent == scratch and os.listdir(scratch) == [Path(root).name]
        assert (os.stat(root).st_mode & 0o777) == 0o700
        sample = SAMPLE.read_bytes()
        for endpoint in ("/api/check", "/api/annotate", "/api/preview", "/api/summary"):
            assert c.post(endpoint, files=_files((SAMPLE_NAME, sample))).status_code == 200
        c.post("/api/check", files=_files(("bad.xlsx", b"%PDF")))
        marked = c.post("/api/annotate", files=_files((SAMPLE_NAME, sample))).content
        c.post("/api/clean", files=_files(("x.xlsx", marked)))
        assert os.listdir(root) == []
    assert os.listdir(scratch) == []


@pytest.mark.skipif(not (sys.platform.startswith("linux") and os.access("/dev/shm", os.W_OK)),
                    reason="needs a writable /dev/shm (Linux)")
def test_uploads_stay_in_memory_unless_tmpdir_says_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMPDIR", raising=False)
    with _client(workers=1) as c:
        root = c.app.state.pool.root
        assert Path(root).parent == Path("/dev/shm") and (os.stat(root).st_mode & 0o777) == 0o700
        assert c.post("/api/check", files=_files((SAMPLE_NAME, SAMPLE.read_bytes()))).status_code == 200
        assert os.listdir(root) == []
    assert not os.path.exists(root)


def test_a_request_given_up_on_leaves_its_worker_clean(slow_plugin: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client went away while its check ran: the next request on that worker gets its own answer,
    not the abandoned job's."""
    import asyncio

    from xlcheck.serve.pool import CheckPool

    monkeypatch.setenv("XLCHECK_TEST_SLOW", "1")
    sample = [(SAMPLE_NAME, SAMPLE.read_bytes())]

    async def scenario() -> tuple[list[str], list[str]]:
        pool = CheckPool(PoolSettings(workers=1, plugins=("serve_slow_plugin",), timeout=30))
        await pool.start()
        try:
            abandoned = asyncio.ensure_future(pool.run("check", sample, "slow", None))
            await asyncio.sleep(0.3)
            abandoned.cancel()
            _, slow = await pool.run("check", [("other.xlsx", b"plain text")], "national", None)
            body, plain = await pool.run("check", sample, "national", None)
            assert json.loads(body)["reports"][0]["path"] == SAMPLE_NAME
            return slow, plain
        finally:
            await pool.stop()

    assert asyncio.run(scenario()) == (["unreadable"], ["failed"])


def test_a_failed_start_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from xlcheck.serve import pool

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)

    def broken(self: object) -> None:
        raise RuntimeError("xlcheck serve: a worker process did not start")

    monkeypatch.setattr(pool._Worker, "start", broken)
    with pytest.raises(RuntimeError, match="did not start"), _client(workers=2):
        pass
    assert os.listdir(tmp_path) == []


def test_no_client_path_is_read_or_written(client: TestClient, tmp_path: Path) -> None:
    victim = tmp_path / "real.xlsx"
    victim.write_bytes(SAMPLE.read_bytes())
    # a name pointing at a real workbook, with text as content: the server checks what was sent
    response = client.post("/api/check", files=_files((str(victim), b"plain text, not a workbook\n")))
    report = response.json()["reports"][0]
    assert report["path"] == "real.xlsx" and "文本文件" in report["error"]
    for name in (str(victim), "../../real.xlsx", "..\\..\\real.xlsx", "C:\\Users\\x\\real.xlsx"):
        response = client.post("/api/annotate", files=_files((name, SAMPLE.read_bytes())))
        assert response.status_code == 200
        assert "filename*=UTF-8''real.checked.xlsx" in response.headers["content-disposition"]
    assert sorted(os.listdir(tmp_path)) == ["real.xlsx"]
    assert victim.read_bytes() == SAMPLE.read_bytes()


@pytest.mark.parametrize(("name", "safe"), [
    ("a.xlsx", "a.xlsx"), ("../../etc/passwd", "passwd"), ("C:\\x\\年报.xlsx", "年报.xlsx"), ("", "upload.xlsx"),
    ("..", "upload.xlsx"), ("a\x00b\nc.xlsx", "abc.xlsx"), (None, "upload.xlsx"),
])
def test_safe_name(name: str | None, safe: str) -> None:
    assert safe_name(name) == safe


def test_safe_name_bounds_length() -> None:
    name = safe_name("年" * 300 + ".xlsx")
    assert len(name.encode()) <= 200 and name.endswith(".xlsx")


def test_one_log_line_per_request_without_names(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="xlcheck.serve")
    secret = "秘密单位2020.xlsx"
    client.post("/api/check", files=_files((secret, SAMPLE.read_bytes())))
    client.post("/api/check", files=_files((secret, b"%PDF-1.4 secret content")))
    client.post("/api/annotate", files=_files((secret, SAMPLE.read_bytes())))
    lines = [r.getMessage() for r in caplog.records if r.name == "xlcheck.serve"]
    assert len(lines) == 3
    assert "POST /api/check 200 1 file" in lines[0] and "failed 1" in lines[0] and lines[0].endswith(" ms")
    assert "422" in lines[1] and "unreadable 1" in lines[1]
    assert all("秘密" not in line and "secret" not in line and "xlsx" not in line for line in lines)


# ------------------------------------------------------------------------------------------ the command

def test_serve_help_and_unknown_rules(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["serve", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--max-upload-mb" in out and "没有内置登录认证" in out
    assert cli.main(["serve", "--rules", "没有这个"]) == cli.EXIT_USAGE
    assert "没有名为 没有这个 的规则集" in capsys.readouterr().err


def test_plain_check_does_not_import_the_web_stack() -> None:
    import subprocess

    code = ("import sys; from xlcheck import cli; cli.build_parser(); "
            "print(any(m.split('.')[0] in ('starlette', 'uvicorn', 'multipart', 'anyio') for m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_annotating_a_published_report_is_refused_with_a_reason(client: TestClient) -> None:
    """A report exported as a web page named .xls is checked, but has no workbook to mark: 422 with
    why, not an internal error."""
    import corpus
    import published_forms as forms

    page = forms.to_html(forms.report_blocks("2021", corpus.consistent_values("2021", seed=1), year=2022))
    assert client.post("/api/check", files=_files(("导出.xls", page))).status_code == 200
    response = client.post("/api/annotate", files=_files(("导出.xls", page)))
    assert response.status_code == 422, response.text
    assert "没有可以标注的工作簿" in response.json()["error"]
