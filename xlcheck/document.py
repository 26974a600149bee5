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
from .rules import LabeledField, RuleContext


@lru_cache(maxsize=32)
def field_info(layout: Layout) -> tuple[dict[str, str], dict[str, str]]:
    fields = {**layout.fields, **layout.legacy_fields}
    return ({k: f.label for k, f in fields.items()}, {k: f.kind for k, f in fields.items()})


def build_document(located: Located, layouts: Sequence[Layout], year: int | None,
                   fields: Sequence[LabeledField] = ()) -> dict[str, Any]:
    labels, kinds = field_info(located.layout)
    return {
        "meta": {
            "layout": located.layout,
            "format": located.layout.format,
            "year": year,
            "cells": (located.year_ref,) if located.year_ref and year == located.year else (),
        },
        "values": located.values,
        "issues": located.issues,
        "cover": {key: value for key, (value, _) in located.cover.items()},
        # one field for everything that is not data, so that Cerberus walks five fields, not nine
        "ctx": RuleContext(
            labels=labels, kinds=kinds, layouts=tuple(layouts),
            field_names={f"cover.{f.key}": f.label for f in fields},
            field_refs={f"cover.{key}": ref for key, (_, ref) in located.cover.items()},
            missing=located.missing),
    }
