"""What a single check imports: every Excel click and every per-file script call starts a new process,
and each module a check does not need is start-up time the clerk waits for (#15)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "xiaolou-2020.xlsx"

# runs the command as the console script does, then lists every module the process holds
_RUNNER = """
import json, sys
from xlcheck.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""

#: modules a plain one-file check never needs: many files, writing, the reviewer's summary, the
#: solver, the doors (web, Excel, published reports) and the libraries behind them
NOT_FOR_ONE_CHECK = (
    "xlcheck.batch", "xlcheck.writer", "xlcheck.summary", "xlcheck.annotated_copy", "xlcheck.review",
    "xlcheck.published", "xlcheck.serve", "xlcheck.excel", "lxml", "openpyxl", "numpy", "highspy", "rich",
    "starlette", "uvicorn", "docx", "pdfplumber", "xlwings", "dask", "distributed", "multiprocessing",
    "concurrent.futures", "importlib.metadata", "email", "xlcheck.marks", "xlcheck.deflate", "isal", "ctypes",
)


def _imported(*args: str) -> tuple[int, str, set[str]]:
    done = subprocess.run([sys.executable, "-c", _RUNNER, *args], capture_output=True, text=True, timeout=120,
                          check=False)
    last = json.loads(done.stderr.strip().splitlines()[-1])
    return last["code"], done.stdout, set(last["modules"])


def _offending(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_FOR_ONE_CHECK))


def test_one_check_imports_only_what_it_needs() -> None:
    code, out, modules = _imported("check", str(SAMPLE), "--no-annotate", "--format", "json")
    report, = json.loads(out)["reports"]
    assert code in (0, 1) and report["format"] and "error" not in report  # it really checked the workbook
    assert {"xlcheck.check", "xlcheck.rules", "xlcheck_national"} <= modules
    assert _offending(modules) == []


def test_the_same_runner_sees_what_a_batch_imports(tmp_path: Path) -> None:
    # the check above cannot pass for want of seeing imports: a folder of two does pull in batch
    for name in ("a.xlsx", "b.xlsx"):
        shutil.copy(SAMPLE, tmp_path / name)
    code, _out, modules = _imported("check", str(tmp_path), "--no-annotate", "--format", "json")
    assert code in (0, 1)
    assert "xlcheck.batch" in modules


#: what writing the copy needs beyond a check is the writer and lxml, not the web: xml.sax.saxutils
#: (for two escaping helpers) imported urllib.request, ssl and http with it; nor ctypes and isal, which
#: pay for their import only in a process that writes many copies (xlcheck.atomic, xlcheck.deflate)
NOT_FOR_THE_COPY = ("xml.sax", "urllib.request", "ssl", "http", "openpyxl", "xlcheck.batch", "xlcheck.summary",
                    "numpy", "rich", "starlette", "xlwings", "ctypes", "isal")


def test_writing_the_copy_imports_only_the_writer(tmp_path: Path) -> None:
    source = tmp_path / "report.xlsx"
    shutil.copy(SAMPLE, source)
    shutil.copy(SAMPLE, tmp_path / "copy.xlsx")  # the copy of an earlier click, replaced
    code, _out, modules = _imported("check", str(source), "--output", str(tmp_path / "copy.xlsx"))
    assert code in (0, 1) and _marked(tmp_path / "copy.xlsx")
    assert {"xlcheck.writer", "lxml.etree"} <= modules
    assert sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_FOR_THE_COPY)) == []


def _marked(path: Path) -> bool:
    import xlcheck

    return xlcheck.check(path).marked


_CERBERUS = """
import sys, xlcheck, cerberus
before = "importlib.metadata" in sys.modules
import importlib.metadata
print(before, cerberus.__version__ == importlib.metadata.version("Cerberus"),
      importlib.metadata.distribution("Cerberus").metadata["Name"],
      cerberus.platform.importlib_metadata.PackageNotFoundError is not None)
"""


def test_cerberus_is_imported_without_importlib_metadata_and_knows_its_version() -> None:
    # the stand-in Cerberus saw is gone: a later import gets the real importlib.metadata
    done = subprocess.run([sys.executable, "-c", _CERBERUS], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["False", "True", "Cerberus", "True"]
