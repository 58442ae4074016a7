"""Build one layer node through the translator and compare it with Keras.

A case is the node's parameters as they would be written in a workflow file, and a
hand-written Keras constructor call that means the same.  The node is wired behind
Input nodes of the given shapes, translated, and the translated layer must have the
same config (name aside) and give the same output shape(s) as the direct layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from nodeflow.core import Workflow, default_registry


@dataclass
class LayerCase:
    type_id: str
    params: dict[str, Any]
    direct: Callable[[], Any]  # returns the same layer made directly with keras.layers
    input_shapes: list[list[int | None]]  # one per input tensor, without the batch axis
    input_dtypes: list[str | None] = field(default_factory=list)
    id: str = ""

    def __str__(self):
        return self.id or self.type_id


def config(layer) -> dict:
    cfg = layer.get_config()
    cfg.pop("name", None)
    return cfg


def wire(case: LayerCase) -> Workflow:
    """Input nodes -> the node under test, inputs filling its ports in declared order
    (a multi port takes all the remaining inputs)."""
    wf = Workflow(default_registry())
    sources = []
    for i, shape in enumerate(case.input_shapes):
        params = {"shape": list(shape)}
        dtype = case.input_dtypes[i] if i < len(case.input_dtypes) else None
        if dtype:
            params["dtype"] = dtype
        sources.append(wf.add_node("keras.layers.Input", params, node_id=f"in_{i}").id)
    wf.add_node(case.type_id, case.params, node_id="under_test")
    spec = wf.registry[case.type_id]
    for port in spec.inputs:
        take = sources if port.multi else sources[:1]
        for source in take:
            wf.connect(source, "output", "under_test", port.name)
        sources = sources[len(take):]
    return wf


def check_layer_case(case: LayerCase) -> None:
    import keras

    from nodeflow.keras.translator import call_node, translate

    wf = wire(case)
    spec = wf.registry[case.type_id]
    translation = translate(wf, output=("under_test", spec.outputs[0].name))
    built = translation.layers["under_test"]
    direct = case.direct()
    assert type(built) is type(direct)
    assert config(built) == config(direct)
    # the direct layer called the same way on fresh inputs gives the same shapes
    fresh = [keras.Input(shape=tuple(s), dtype=(case.input_dtypes[i] if i < len(case.input_dtypes) else None))
             for i, s in enumerate(case.input_shapes)]
    inputs: dict[str, Any] = {}
    rest = list(fresh)
    for port in spec.inputs:
        if port.multi:
            inputs[port.name], rest = rest, []
        elif rest:
            inputs[port.name], rest = rest[0], rest[1:]
    expected = call_node(spec, direct, inputs, spec.resolve(case.params), None)
    got = [tuple(t.shape) for t in translation.model.outputs]
    assert got == [tuple(t.shape) for t in expected[: len(got)]]


def layer_types_covered(cases: list[LayerCase]) -> set[str]:
    return {c.type_id for c in cases}


def all_layer_types() -> set[str]:
    return {s.type_id for s in default_registry() if s.family == "layer" and s.target}
