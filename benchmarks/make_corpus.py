"""Generate a folder of varied annual-report workbooks, as a 区 office collects them in January.

    python benchmarks/make_corpus.py DIR [-n 1000] [--seed 0]

Both formats; layouts varied with every option of ``tests/corpus.write_report`` (one sheet or three,
shifted origin, title or none, extra rows and page-break repeats, notes, label drift); a different
unit name per file; about 20 % with an error a clerk makes (a wrong 总计, a row that does not add up,
a 行政复议 total off by one); a few files that cannot be checked (truncated, not a zip, empty, a staff
list instead of a report); 70 % formatted as the official template is (every cell bordered, 宋体,
centred), the rest typed plain; and things a folder walk must skip (Office lock files, hidden files, a
hidden folder). Files sit in subfolders by 镇/街道, like a shared collection folder.

``MANIFEST.json`` in DIR lists every workbook with what it should come out as (``clean``, ``error``,
``unreadable``), for tests and the benchmark to compare with.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import corpus

TOWNS = ("青山镇", "石滩镇", "派潭镇", "正果镇", "小楼镇", "荔城街道", "增江街道", "朱村街道", "永宁街道", "宁西街道")
OFFICES = ("人民政府", "党政办公室", "财政所", "农业农村办", "社会事务办", "规划建设办", "综合行政执法队",
           "退役军人服务站")
#: (what the clerk got wrong, how to make it): each breaks at least one error-severity rule
MISTAKES = ("t3_total", "t3_identity", "t4_total", "t3_row")
#: Share of workbooks formatted the way the official template and office staff format them: every cell
#: of the report bordered, 宋体, centred and wrapped. The rest are typed plain, as ``corpus`` writes them.
STYLED_SHARE = 0.7


def _break(values: dict[str, Any], kind: str, rng: random.Random) -> None:
    if kind == "t3_total":  # （七）总计 not the sum of the results: T3-RES
        values["t3.total.natural"] = int(values["t3.total.natural"]) + rng.randint(1, 3)
    elif kind == "t3_identity":  # 一 + 二 ≠ 三 + 四: T3-ID
        values["t3.new.natural"] = int(values["t3.new.natural"]) + 1
        values["t3.new.total"] = int(values["t3.new.total"]) + 1
    elif kind == "t4_total":  # 行政复议 总计 off by one: T4-SUM
        values["t4.review.total"] = int(values["t4.review.total"]) + 1
    else:  # the 总计 column is not the sum of the applicant columns: T3-ROW
        values["t3.public.total"] = int(values["t3.public.total"]) + 2


def spec(i: int, seed: int, error_rate: float = 0.2, year: int | None = None, unique: bool = False
         ) -> dict[str, Any]:
    """What file number ``i`` holds (deterministic for ``seed``); ``year`` fixes the report year (and
    so the format), ``unique`` gives every index its own unit (the same one whatever the seed and
    year: a collection of last year's reports pairs with this year's)."""
    rng = random.Random(seed * 1_000_003 + i)
    town = TOWNS[i % len(TOWNS)]
    fmt = "2021" if rng.random() < 0.7 else "2019"
    chosen = rng.choice((2021, 2022, 2023)) if fmt == "2021" else 2020
    if year is not None:
        fmt, chosen = ("2021" if year >= 2021 else "2019"), year
    year = chosen
    office = rng.choice(OFFICES)
    if unique:
        office = OFFICES[(i // len(TOWNS)) % len(OFFICES)]
    unit = f"{town}{office}" + (f"第{i // (len(TOWNS) * len(OFFICES)) + 1}分部" if unique else "")
    layout = {
        "sheets": rng.choice(("one", "three")),
        "origin": (rng.randint(1, 4), rng.randint(1, 3)),
        "title": rng.random() < 0.85,
        "extra_rows": rng.random() < 0.4,
        "notes": rng.random() < 0.4,
        "drift": rng.random() < 0.5,
    }
    mistake = rng.choice(MISTAKES) if rng.random() < error_rate else None
    styled = rng.random() < STYLED_SHARE
    name = f"{i:04d}-{unit}{year}年政府信息公开工作年度报告{'报表' if rng.random() < 0.5 else ''}.xlsx"
    return {"index": i, "folder": town, "name": name, "unit": unit, "format": fmt, "year": year,
            "layout": layout, "mistake": mistake, "styled": styled, "seed": rng.randint(0, 10**6)}


def write(item: dict[str, Any], root: str) -> None:
    path = Path(root) / item["folder"] / item["name"]
    values: dict[str, Any] = dict(corpus.consistent_values(item["format"], item["seed"]))
    if item["mistake"]:
        _break(values, item["mistake"], random.Random(item["seed"]))
    layout = dict(item["layout"])
    layout["origin"] = tuple(layout["origin"])
    unit = corpus._UNIT
    corpus._UNIT = item["unit"]  # the unit named in the title rows
    try:
        corpus.write_report(path, item["format"], values, year=item["year"], **layout)
    finally:
        corpus._UNIT = unit
    if item.get("styled"):
        _style(path)


def _style(path: Path) -> None:
    """Format the workbook as an office does: borders, font and alignment on every cell of the report."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = load_workbook(path)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    font = Font(name="宋体", size=11)
    align = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=max(ws.max_column, 12)):
            for cell in row:
                cell.border, cell.font, cell.alignment = border, font, align
        for letter in "ABCDEFGHIJKL":
            ws.column_dimensions[letter].width = 14
    wb.save(path)


def _write_chunk(items: Sequence[dict[str, Any]], root: str) -> None:
    for item in items:
        write(item, root)


def _bad_files(root: Path, rng: random.Random, good: Path) -> list[str]:
    """Files among the reports that cannot be checked; returns their paths relative to ``root``."""
    folder = root / TOWNS[0]
    made = []
    data = good.read_bytes()
    (folder / "损坏-截断的报表.xlsx").write_bytes(data[: len(data) // 3])
    (folder / "损坏-不是工作簿.xlsx").write_bytes(b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(600)))
    (folder / "空文件.xlsx").write_bytes(b"")
    corpus.write_not_a_report(root / TOWNS[1] / "职工花名册.xlsx")
    made += [f"{TOWNS[0]}/损坏-截断的报表.xlsx", f"{TOWNS[0]}/损坏-不是工作簿.xlsx", f"{TOWNS[0]}/空文件.xlsx",
             f"{TOWNS[1]}/职工花名册.xlsx"]
    return made


def _decoys(root: Path, good: Path) -> None:
    """What a folder walk must pass over."""
    data = good.read_bytes()
    (root / TOWNS[2] / "~$正在编辑的报表.xlsx").write_bytes(b"\x00" * 165)  # an Office lock file
    (root / TOWNS[2] / ".隐藏的报表.xlsx").write_bytes(data)
    hidden = root / ".Trash-1000"
    hidden.mkdir(exist_ok=True)
    (hidden / "删除的报表.xlsx").write_bytes(data)
    (root / TOWNS[3] / "说明.txt").write_text("各单位年报汇总\n", encoding="utf-8")


def build(root: str | os.PathLike[str], n: int = 1000, seed: int = 0, *, bad: bool = True, workers: int | None = None,
          error_rate: float = 0.2, year: int | None = None, unique: bool = False) -> dict[str, Any]:
    """Write ``n`` report workbooks (plus, with ``bad``, four unreadable ones and the decoys) under
    ``root``; return the manifest (also written to ``root/MANIFEST.json``). ``year`` and ``unique``
    are ``spec``'s."""
    out = Path(root)
    items = [spec(i, seed, error_rate, year, unique) for i in range(n)]
    for folder in {item["folder"] for item in items} | set(TOWNS[:4]):
        (out / folder).mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    if workers > 1 and n >= 20:
        size = max(1, n // (workers * 4))
        chunks = [items[i:i + size] for i in range(0, n, size)]
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_write_chunk, chunks, [str(out)] * len(chunks)))
    else:
        _write_chunk(items, str(out))
    expected = {f"{item['folder']}/{item['name']}": ("error" if item["mistake"] else "clean") for item in items}
    if bad and items:
        good = out / items[0]["folder"] / items[0]["name"]
        for rel in _bad_files(out, random.Random(seed), good):
            expected[rel] = "unreadable"
        _decoys(out, good)
    manifest = {"n": n, "seed": seed, "styled": sum(1 for i in items if i["styled"]),
                "files": dict(sorted(expected.items())),
                "units": {f"{i['folder']}/{i['name']}": i["unit"] for i in items}}
    (out / "MANIFEST.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir")
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    manifest = build(args.dir, args.n, args.seed)
    kinds = list(manifest["files"].values())
    print(f"{args.dir}: {kinds.count('clean')} clean, {kinds.count('error')} with errors, "
          f"{kinds.count('unreadable')} unreadable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
