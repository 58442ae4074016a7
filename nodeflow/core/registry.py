"""The node catalogue: every :class:`NodeSpec` declared under the ``nodes`` package.

Each module below ``nodes`` that declares node types lists them in a module-level
``NODES`` sequence.  Discovery imports those modules (they import no TensorFlow:
behaviour is imported lazily when a node is built or run) and refuses a type id
declared twice, naming both places.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import pkgutil
from collections.abc import Iterable, Iterator

from .errors import RegistryError
from .spec import NodeSpec


class Registry:
    def __init__(self, specs: Iterable[NodeSpec] = (), origin: str = "<code>"):
        self._specs: dict[str, NodeSpec] = {}
        self._origins: dict[str, str] = {}
        for spec in specs:
            self.add(spec, origin)

    def add(self, spec: NodeSpec, origin: str = "<code>") -> None:
        if not isinstance(spec, NodeSpec):
            raise RegistryError(f"{origin}: expected a NodeSpec, got {type(spec).__name__}")
        if spec.type_id in self._specs:
            raise RegistryError(
                f"node type {spec.type_id} is declared twice: "
                f"in {self._origins[spec.type_id]} and in {origin}"
            )
        self._specs[spec.type_id] = spec
        self._origins[spec.type_id] = origin

    def get(self, type_id: str) -> NodeSpec | None:
        return self._specs.get(type_id)

    def __getitem__(self, type_id: str) -> NodeSpec:
        return self._specs[type_id]

    def __contains__(self, type_id: object) -> bool:
        return type_id in self._specs

    def __iter__(self) -> Iterator[NodeSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def origin(self, type_id: str) -> str:
        return self._origins[type_id]

    def suggest(self, type_id: str) -> str | None:
        """The closest known type id, for "did you mean" hints."""
        close = difflib.get_close_matches(type_id, list(self._specs), n=1, cutoff=0.6)
        return close[0] if close else None

    def sorted(self) -> list[NodeSpec]:
        return sorted(self._specs.values(), key=lambda s: (s.category, s.display_name, s.type_id))

    @classmethod
    def discover(cls, package: str = "nodes") -> "Registry":
        """Import every module of ``package`` and collect its ``NODES``."""
        registry = cls()
        try:
            root = importlib.import_module(package)
        except ImportError as exc:
            raise RegistryError(f"cannot import node package {package}: {exc}") from exc
        modules = [root.__name__]
        if hasattr(root, "__path__"):
            modules += sorted(
                info.name for info in pkgutil.walk_packages(root.__path__, root.__name__ + ".")
            )
        for name in modules:
            try:
                module = importlib.import_module(name)
            except Exception as exc:  # a broken node module must be loud and named
                raise RegistryError(f"cannot load node module {name}: {exc}") from exc
            for spec in getattr(module, "NODES", ()):
                registry.add(spec, name)
        return registry


@functools.cache
def default_registry() -> Registry:
    """The catalogue of the installed ``nodes`` package, discovered once."""
    return Registry.discover("nodes")
