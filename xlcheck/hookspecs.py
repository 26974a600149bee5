"""The hooks a plugin implements. Hooks only contribute things; the core runs them.

Every hook is optional. A plugin is a module or package registered under the ``xlcheck`` entry-point
group, with functions decorated by ``xlcheck.hookimpl`` and named exactly as below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .layout import Layout
    from .rules import RuleSet

hookspec = pluggy.HookspecMarker("xlcheck")
hookimpl = pluggy.HookimplMarker("xlcheck")


@hookspec
def xlcheck_layouts() -> list[Layout]:
    """Called once when plugins load; return the report layouts (table formats) the plugin adds."""
    raise NotImplementedError


@hookspec
def xlcheck_rulesets() -> list[RuleSet]:
    """Called once when plugins load; return the rule sets the plugin adds (``RuleSet`` objects)."""
    raise NotImplementedError
