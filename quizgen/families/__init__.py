"""The family registry: every module in this package that defines ``FAMILY`` is a family.

Discovery is by module name, sorted, so the registry (and ``quizgen list``) is deterministic and
adding a family is adding one file (plus its template ``templates/questions/<name>.j2``).
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from quizgen.errors import UnknownFamilyError


@lru_cache(maxsize=None)
def registry() -> dict:
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        fam = getattr(module, "FAMILY", None)
        if fam is not None:
            found[fam.name] = fam
    return found


def names() -> list[str]:
    return sorted(registry())


def get(name: str):
    """The family called ``name`` (UnknownFamilyError lists the known ones)."""
    reg = registry()
    if name not in reg:
        raise UnknownFamilyError(name, list(reg))
    return reg[name]
