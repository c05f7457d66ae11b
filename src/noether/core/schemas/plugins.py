"""The ``plugins`` section of a config: which plugins it needs, which to leave out, which wins a clash."""

from collections.abc import Iterator

import attrs

from noether.core.schemas._base import Schema


@attrs.frozen(kw_only=True)
class PluginsConfig(Schema):
    """Plugin controls for one config (the environment variables ``NOETHER_DISABLE_PLUGINS``,
    ``NOETHER_DISABLE_PLUGIN_AUTOLOAD`` and ``NOETHER_PREFER_PLUGINS`` do the same for every run)."""

    #: Distributions this config needs, with optional version specifiers (``noether-mlflow>=0.1``);
    #: a missing one fails before anything runs, with the ``pip install`` line.
    requires: list[str] = attrs.field(factory=list)
    #: Plugins (entry-point names or distributions) not to load.
    disable: list[str] = attrs.field(factory=list)
    #: Load plugins from installed packages (``false``: only Noether's own components).
    autoload: bool = True
    #: Distributions that win when several register the same kind.
    prefer: list[str] = attrs.field(factory=list)

    def _check(self) -> Iterator[tuple[str, str]]:
        for index, requirement in enumerate(self.requires):
            if not requirement.strip() or requirement.strip()[0] in "<>=!~":
                yield "requires", f"item {index}: {requirement!r} is not a requirement like 'noether-mlflow>=0.1'"
