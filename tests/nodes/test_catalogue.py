"""Every node type is documented for a person who is learning."""

import pytest

from nodeflow.core import default_registry
from nodeflow.core.params import NestedChoiceParam

SPECS = sorted(default_registry(), key=lambda s: s.type_id)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type_id)
def test_node_is_documented(spec):
    assert len(spec.description) >= 80, "a description is a real paragraph"
    assert spec.category.split("/")[0] in {"Layers", "Operations", "Data", "Learning", "IO"}
    for param in spec.params:
        assert len(param.help) >= 15, f"{param.name} needs help text"
        for option in param.options if isinstance(param, NestedChoiceParam) else ():
            assert option.help, f"{param.name}: option {option.name} needs help"
            assert all(arg.help for arg in option.args)
    for port in spec.inputs + spec.outputs:
        assert port.help, f"port {port.name} needs help"


def test_layer_nodes_build_and_others_run():
    for spec in SPECS:
        assert (spec.build is not None or spec.apply is not None) == (spec.family == "layer"), spec.type_id
        assert (spec.run is not None) == (spec.family != "layer"), spec.type_id
