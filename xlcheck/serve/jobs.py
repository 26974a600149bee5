"""What a worker does with uploaded workbooks: the core's check, annotate, clean and summary.

Each upload is written, under the name the clerk's file had (made safe), into its own folder inside
the job's private folder, so every message the core writes names the clerk's file and nothing else;
the pool removes the folder afterwards. Results go back to the server as plain data: report dicts
(:meth:`Report.to_dict`, exactly what ``xlcheck check --format json`` prints) and file bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..check import check
from ..findings import Report
from ..plugins import Registry

#: an uploaded file: (safe file name, content)
Upload = tuple[str, bytes]


class UploadError(Exception):
    """The upload cannot be used; the message is for the clerk (Chinese, then English)."""


def _stage(folder: str, index: int, upload: Upload) -> Path:
    name, data = upload
    home = Path(folder, str(index))
    home.mkdir(mode=0o700)
    path = home / name
    # "x": the folder is new and ours; never write through anything that already exists
    with open(path, "xb") as handle:
        handle.write(data)
    return path


def _check(registry: Registry, folder: str, index: int, upload: Upload, rules: str,
           year: int | None) -> tuple[Path, Report]:
    path = _stage(folder, index, upload)
    report = check(path, rules=rules, year=year, registry=registry)
    return path, report


def check_files(registry: Registry, folder: str, uploads: Sequence[Upload], rules: str,
                year: int | None) -> list[dict[str, object]]:
    """The report dicts of ``uploads``, each with the clerk's file name as its path."""
    out = []
    for index, upload in enumerate(uploads):
        _, report = _check(registry, folder, index, upload, rules, year)
        report.path = upload[0]
        out.append(report.to_dict())
    return out


def check_body(registry: Registry, folder: str, uploads: Sequence[Upload], rules: str,
               year: int | None) -> tuple[bytes, list[str]]:
    """``POST /api/check``'s answer, encoded here so the server passes it on without building it again:
    the JSON body ``{"reports": [...]}`` and each report's outcome (:func:`outcome`), for the log."""
    reports = check_files(registry, folder, uploads, rules, year)
    return json_body({"reports": reports}), [outcome(r) for r in reports]


def outcome(report: dict[str, Any]) -> str:
    """``unreadable``, ``failed`` (an error found) or ``passed``, for a report dict."""
    if "error" in report:
        return "unreadable"
    findings: list[dict[str, Any]] = report["findings"]
    return "failed" if any(f["severity"] == "error" for f in findings) else "passed"


def json_body(data: Any) -> bytes:
    """JSON as the API sends it: UTF-8, Chinese as it is, no spaces."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def annotate_file(registry: Registry, folder: str, upload: Upload, rules: str,
                  year: int | None) -> tuple[str, bytes, dict[str, object]]:
    """(the annotated copy's file name, its bytes, the report dict) for one upload."""
    from ..annotated_copy import annotate, default_output
    from ..writer import WriteError

    path, report = _check(registry, folder, 0, upload, rules, year)
    if report.error is not None:
        raise UploadError(report.error)
    out_dir = Path(folder, "out")
    out_dir.mkdir(mode=0o700)
    try:
        written = annotate(report, out_dir / default_output(path).name)
    except WriteError as exc:
        raise UploadError(f"{upload[0]}：无法写出标注副本 (annotated copy not written): {exc}") from None
    report.path = upload[0]
    return written.name, written.read_bytes(), report.to_dict()


def clean_file(registry: Registry, folder: str, upload: Upload) -> tuple[str, bytes]:
    """(the cleaned copy's file name, its bytes): the upload without any xlcheck mark."""
    from ..annotated_copy import clean
    from ..reader import ReadError, read_workbook
    from ..writer import WriteError

    path = _stage(folder, 0, upload)
    try:
        read_workbook(path)  # the reader's bounds and its clear refusal of what is not a workbook
    except ReadError as exc:
        raise UploadError(str(exc)) from None
    out_dir = Path(folder, "out")
    out_dir.mkdir(mode=0o700)
    target = out_dir / f"{path.stem}.cleaned{path.suffix if path.suffix.lower() in ('.xlsx', '.xlsm') else '.xlsx'}"
    try:
        clean(path, target)
    except WriteError as exc:
        raise UploadError(f"{upload[0]}：{exc}") from None
    return target.name, target.read_bytes()


def summary_file(registry: Registry, folder: str, uploads: Sequence[Upload], rules: str,
                 year: int | None) -> bytes:
    """The reviewer's summary workbook of ``uploads`` (as ``xlcheck check --summary x.xlsx`` writes)."""
    from ..summary import SummaryError, write_summary

    reports = []
    for index, upload in enumerate(uploads):
        _, report = _check(registry, folder, index, upload, rules, year)
        report.path = upload[0]
        reports.append(report)
    titles = {item.rule.id: item.rule.description for item in registry.effective(rules)[0]}
    target = Path(folder, "summary.xlsx")
    try:
        write_summary(target, reports, rule_titles=titles)
    except SummaryError as exc:
        raise UploadError(str(exc)) from None
    return target.read_bytes()


def preview_file(registry: Registry, folder: str, upload: Upload, rules: str,
                 year: int | None) -> dict[str, Any]:
    """What the page shows of one upload: the report dict, its verdict and description in the words of
    the annotated copy's summary sheet, the severities' labels, and tables 三 and 四 with their marks."""
    from ..findings import Severity
    from ..marks import describe, verdict
    from .preview import tables

    path, report = _check(registry, folder, 0, upload, rules, year)
    shown = tables(path, report, registry, year) if report.error is None else []
    report.path = upload[0]
    return {"report": report.to_dict(), "verdict": verdict(report), "described": describe(report),
            "labels": {s.value: s.label for s in Severity}, "tables": shown}


def safe_name(name: str | None) -> str:
    """The clerk's file name as a plain name in a folder of ours: no folders, no control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch >= " " and ch != "\x7f").strip()
    if os.name == "nt":  # characters and device names Windows gives a meaning to
        base = "".join("_" if ch in '<>:"|?*' else ch for ch in base).rstrip(". ")
        if base.split(".")[0].upper() in _DEVICES:
            base = "_" + base
    while len(base.encode("utf-8", "replace")) > 200:  # file systems allow 255 bytes; room for .checked
        stem, dot, suffix = base.rpartition(".")
        base = f"{stem[:-1]}.{suffix}" if dot and stem and len(suffix) <= 5 else base[:-1]
    return "upload.xlsx" if base in ("", ".", "..") else base


_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))})


JOBS: dict[str, Callable[..., Any]] = {
    "check": check_body,
    "annotate": annotate_file,
    "clean": clean_file,
    "summary": summary_file,
    "preview": preview_file,
}
