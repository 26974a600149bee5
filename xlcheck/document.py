"""The document the rules validate: a located workbook as a nested dict.

``values`` maps field keys to ``CellValue`` (the parsed number, the raw text and the cell), so every
rule can both compute and point at cells; ``labels`` names each field in the report's own words.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from .layout import Layout
from .locator import Located


@lru_cache(maxsize=32)
def _field_info(layout: Layout) -> tuple[dict[str, str], dict[str, str]]:
    return ({k: f.label for k, f in layout.fields.items()}, {k: f.kind for k, f in layout.fields.items()})


def build_document(located: Located, layouts: Sequence[Layout], year: int | None) -> dict[str, Any]:
    labels, kinds = _field_info(located.layout)
    return {
        "meta": {
            "layout": located.layout,
            "format": located.layout.format,
            "year": year,
            "cells": (located.year_ref,) if located.year_ref and year == located.year else (),
        },
        "values": located.values,
        "issues": located.issues,
        "labels": labels,
        "kinds": kinds,
        "layouts": tuple(layouts),
        # plain fields that plugins add (a cover block): dotted path -> name / cell
        "field_names": {},
        "field_refs": {},
    }
