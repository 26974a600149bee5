"""Built-in plugin: the two official report layouts, registered like any other plugin."""

from __future__ import annotations

from .formats import OFFICIAL_LAYOUTS
from .hookspecs import hookimpl
from .layout import Layout


@hookimpl
def xlcheck_layouts() -> list[Layout]:
    return list(OFFICIAL_LAYOUTS)
