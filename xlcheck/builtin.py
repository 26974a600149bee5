"""Built-in plugin: the two official report layouts and the text and JSON output formats, registered
like any other plugin."""

from __future__ import annotations

from .formats import OFFICIAL_LAYOUTS
from .hookspecs import hookimpl
from .layout import Layout
from .output import OutputFormat, render_json, render_text


@hookimpl
def xlcheck_layouts() -> list[Layout]:
    return list(OFFICIAL_LAYOUTS)


@hookimpl
def xlcheck_output_formats() -> list[OutputFormat]:
    return [OutputFormat("text", "表格，给人看（默认）(a table for people)", render_text),
            OutputFormat("json", "一个 JSON 对象，给脚本用 (one JSON object for scripts)", render_json)]
