"""Importing Cerberus without ``importlib.metadata``: done when xlcheck is imported, before any of its
modules imports Cerberus.

Cerberus looks its own version up with ``importlib.metadata`` when it is imported, and that module
(with the e-mail parsing it brings) cost about a tenth of a fresh ``xlcheck check``, which needs
neither: xlcheck finds its plugins without it (:mod:`xlcheck.entrypoints`). While Cerberus is
imported it sees a stand-in whose ``version`` reads the version from the distribution's metadata
folder name, the way :mod:`xlcheck.entrypoints` reads it, and asks the real module only when no
folder says (an install in a zip file); anything else asked of the stand-in goes to the real module.
The stand-in is taken out of ``sys.modules`` again at once, so any later
``import importlib.metadata`` gets the real one.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


class _NotFoundError(ModuleNotFoundError):
    """The stand-in's PackageNotFoundError (what Cerberus catches to say its version is unknown)."""


def _version(name: str) -> str:
    from .entrypoints import _distributions, _normalise

    wanted = _normalise(name)
    for folder in sys.path:
        for _meta, dist, version in _distributions(folder or "."):
            if _normalise(dist) == wanted and version:
                return version
    real = importlib.import_module("importlib.metadata")
    try:
        return str(real.version(name))
    except real.PackageNotFoundError as exc:
        raise _NotFoundError(name) from exc


def _real(name: str) -> Any:
    if name.startswith("__"):  # what introspection asks of any module: not worth importing the real one
        raise AttributeError(name)
    return getattr(importlib.import_module("importlib.metadata"), name)


def import_cerberus() -> None:
    """Import Cerberus, behind the stand-in unless the real ``importlib.metadata`` is loaded already."""
    if "cerberus" in sys.modules or "importlib.metadata" in sys.modules:
        return
    stand_in = types.ModuleType("importlib.metadata", "xlcheck's stand-in while Cerberus is imported")
    stand_in.__dict__.update(version=_version, PackageNotFoundError=_NotFoundError, __getattr__=_real)
    sys.modules["importlib.metadata"] = stand_in
    try:
        import cerberus  # noqa: F401
    finally:
        if sys.modules.get("importlib.metadata") is stand_in:
            del sys.modules["importlib.metadata"]


import_cerberus()
