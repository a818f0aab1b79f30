"""Each platform's own code, one package per platform (`stores/platforms/<platform>/`): its connection types
registered in the connector registry (its `connection` module), with their abilities (real time, OAuth), and
whatever implements them (a REST client, an OAuth flow). Nothing outside a platform's package names it: the
rest of Outbound asks the registry (stores.connector.registry). `tests/test_layering.py` checks it.

    load()   import every platform's `connection` module (StoresConfig.ready): its types are registered
"""

from __future__ import annotations

import importlib
import pkgutil


def load() -> list[str]:
    """Register every platform's connection types; returns the platforms' package names."""
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if info.ispkg)
    for name in names:
        importlib.import_module(f"{__name__}.{name}.connection")
    return names
