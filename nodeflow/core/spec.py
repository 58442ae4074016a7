"""Node type declarations.

A :class:`NodeSpec` is the single definition of a node type: the canvas, the
properties editor, the documentation panel, ``nodeflow nodes``, the translator
and the runner all read it.  Behaviour is attached as plain callables so that
declaring a node never imports TensorFlow:

- layer nodes: ``build(params, name=None) -> keras layer``;
- data, learner and io nodes: ``run(context, inputs, params) -> outputs``.

``params`` passed to either is the full parameter dict (defaults filled in).
A layer node may also give ``apply(layer, inputs, params)`` when its layer is not
called as ``layer(x)`` (one input) or ``layer([x, y, ...])`` (a multi input).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import RegistryError
from .params import Param, group_params
from .ports import IDENTIFIER, Port

TYPE_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
FAMILIES = ("layer", "data", "learn", "io")


def snake_case(name: str) -> str:
    """``Conv2DTranspose`` -> ``conv2d_transpose``, ``CsvReader`` -> ``csv_reader``.

    The same convention Keras uses for default layer names, so node ids and
    Keras layer names look alike.
    """
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


@dataclass(frozen=True, kw_only=True)
class NodeSpec:
    type_id: str
    display_name: str
    category: str  # slash-separated path in the node repository, e.g. "Layers/Core"
    description: str
    family: str
    inputs: tuple[Port, ...] = ()
    outputs: tuple[Port, ...] = ()
    params: tuple[Param, ...] = ()
    keywords: tuple[str, ...] = ()
    id_prefix: str = ""
    # what the node stands for in the library that executes it (e.g. the Keras class
    # "Dense"); the importer maps library objects back to node types through it
    target: str = ""
    build: Callable[..., Any] | None = field(default=None, compare=False)
    # how a built layer is called on its inputs, when not simply layer(x) or layer([x, y]):
    # apply(layer, inputs: dict[port name, tensor | list of tensors], params) -> output(s)
    apply: Callable[..., Any] | None = field(default=None, compare=False)
    # importer hook: the target's config (e.g. a Keras layer's get_config()) -> parameter
    # values, for nodes whose parameters are not simply the config's keys
    import_params: Callable[[dict], dict] | None = field(default=None, compare=False)
    # code export hook for layer nodes not built as keras.layers.<target>(**params)(x):
    # export_code(node_id, params, inputs: dict[port, expression]) -> (lines, output expression)
    export_code: Callable[..., Any] | None = field(default=None, compare=False)
    run: Callable[..., Any] | None = field(default=None, compare=False)
    # checks beyond each value's own, for validation (e.g. against the file a path names):
    # check(params, resolve_path) -> [(parameter, message)]; standard library only
    check: Callable[..., Any] | None = field(default=None, compare=False)
    # why ``nodeflow export-python`` cannot write what this node does (empty: it can, or
    # the node has no part in the script); export refuses such a workflow, naming the node
    export_refusal: str = ""

    def __post_init__(self):
        problems = []
        if not TYPE_ID.fullmatch(self.type_id):
            problems.append("type id: expected dotted identifiers such as keras.layers.Dense")
        if self.family not in FAMILIES:
            problems.append(f"family: expected one of {', '.join(FAMILIES)}, got {self.family!r}")
        if not self.display_name or not self.category or not self.description.strip():
            problems.append("display name, category and description must not be empty")
        for kind, items in (("parameter", self.params), ("input", self.inputs), ("output", self.outputs)):
            names = [i.name for i in items]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                problems.append(f"{kind} names declared twice: {', '.join(dupes)}")
        for p in self.params:
            if not IDENTIFIER.fullmatch(p.name):
                problems.append(f"parameter name {p.name!r}: expected an identifier")
            elif not isinstance(p.group, str) or not p.group.strip():
                problems.append(f"parameter {p.name}: group: expected a non-empty text, got {p.group!r}")
            elif not p.required and p.check(p.default):
                problems.append(f"parameter {p.name}: default {p.default!r} fails its own check")
        if self.family == "layer" and self.build is None and self.apply is None:
            problems.append("a layer node needs a build or an apply function")
        if self.family != "layer" and self.run is None:
            problems.append(f"a {self.family} node needs a run function")
        if not self.id_prefix:
            object.__setattr__(self, "id_prefix", snake_case(self.type_id.rsplit(".", 1)[-1]))
        elif not IDENTIFIER.fullmatch(self.id_prefix):
            problems.append(f"id prefix {self.id_prefix!r}: expected an identifier")
        if problems:
            raise RegistryError(f"node type {self.type_id}: " + "; ".join(problems))

    # -- look-ups ------------------------------------------------------------
    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def input(self, name: str) -> Port | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> Port | None:
        return next((p for p in self.outputs if p.name == name), None)

    def param_groups(self) -> list[tuple[str, tuple[Param, ...]]]:
        """``[(group, params), ...]``: the sections of the node's dialog, in declared order."""
        return group_params(self.params)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params if not p.required}

    def resolve(self, values: dict[str, Any]) -> dict[str, Any]:
        """Full parameter dict: defaults overlaid with the given values."""
        full = self.defaults()
        full.update(values)
        return full

    def describe(self) -> dict[str, Any]:
        """JSON-ready description, as printed by ``nodeflow nodes --json``."""
        return {
            "type": self.type_id,
            "name": self.display_name,
            "category": self.category,
            "family": self.family,
            "description": self.description,
            "inputs": [p.describe() for p in self.inputs],
            "outputs": [p.describe() for p in self.outputs],
            "params": [p.describe() for p in self.params],
            "groups": [name for name, _ in self.param_groups()],
            "keywords": list(self.keywords),
            "target": self.target,
        }
