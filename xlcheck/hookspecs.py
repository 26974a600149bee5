"""The hooks a plugin implements. Hooks only contribute things; the core runs them.

Every hook is optional and takes no arguments. A plugin is a module (or any object) registered under
the ``xlcheck`` entry-point group, with functions decorated by ``xlcheck.hookimpl`` and named exactly
as below; a misspelt name, a hook without ``@hookimpl`` or a hook that raises makes xlcheck skip that
plugin (and only that one) when plugins load. Each hook is called once per process, when plugins
load, and returns a list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .layout import Layout
    from .output import OutputFormat
    from .rules import Overlay, RuleSet

hookspec = pluggy.HookspecMarker("xlcheck")
hookimpl = pluggy.HookimplMarker("xlcheck")


@hookspec
def xlcheck_layouts() -> list[Layout]:
    """Return report layouts (table formats) to add; each ``Layout`` describes one format's tables,
    row and column labels and field keys, and is used to locate tables and to write blank templates."""
    raise NotImplementedError


@hookspec
def xlcheck_rulesets() -> list[RuleSet]:
    """Return rule sets to add; a ``RuleSet`` with ``extends="national"`` runs on top of the national
    baseline and may add rules, cover fields, and overrides of the rules below it."""
    raise NotImplementedError


@hookspec
def xlcheck_overlays() -> list[Overlay]:
    """Return additions to rule sets other plugins define; an ``Overlay`` adds rules, cover fields
    and overrides to its ``target`` set, and so to every set that extends it."""
    raise NotImplementedError


@hookspec
def xlcheck_output_formats() -> list[OutputFormat]:
    """Return console output formats to add; an ``OutputFormat`` is selected by ``--format NAME`` and
    renders the list of reports of one run to a text stream."""
    raise NotImplementedError
