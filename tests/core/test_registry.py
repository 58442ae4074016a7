"""Discovery of node types in the nodes/ package, and refusal of duplicates."""

import sys
import textwrap

import pytest

from nodeflow.core import NodeSpec, Registry, RegistryError
from nodeflow.core.params import IntParam


def test_discovers_the_bundled_catalogue(registry):
    assert {"keras.layers.Input", "keras.layers.Dense", "keras.layers.Dropout",
            "data.CsvReader"} <= {s.type_id for s in registry}
    assert registry.origin("keras.layers.Dense") == "nodes.layers.core"


def _write_package(root, name, modules):
    pkg = root / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for module, body in modules.items():
        (pkg / f"{module}.py").write_text(textwrap.dedent(body))


SPEC_MODULE = """
from nodeflow.core.spec import NodeSpec
from nodes.layers.keras_args import LAYER_PORTS, keras_layer
NODES = (NodeSpec(type_id="keras.layers.Dense", display_name="Dense again", category="X",
                  description="duplicate", family="layer", build=keras_layer("Dense"),
                  **LAYER_PORTS),)
"""


def test_a_duplicate_type_id_is_refused_naming_both_modules(tmp_path, monkeypatch):
    _write_package(tmp_path, "dupnodes", {"first": SPEC_MODULE, "second": SPEC_MODULE})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RegistryError) as exc:
        Registry.discover("dupnodes")
    assert str(exc.value) == ("node type keras.layers.Dense is declared twice: "
                              "in dupnodes.first and in dupnodes.second")
    for name in [m for m in sys.modules if m.startswith("dupnodes")]:
        monkeypatch.delitem(sys.modules, name)


def test_a_broken_node_module_is_named(tmp_path, monkeypatch):
    _write_package(tmp_path, "brokennodes", {"bad": "raise RuntimeError('oops')\n"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RegistryError, match="cannot load node module brokennodes.bad: oops"):
        Registry.discover("brokennodes")


def test_a_spec_is_checked_when_declared():
    with pytest.raises(RegistryError) as exc:
        NodeSpec(type_id="Dense", display_name="D", category="X", description="d", family="layer",
                 params=(IntParam(name="units", min=1), IntParam(name="units", default=0, min=1)))
    message = str(exc.value)
    assert "type id: expected dotted identifiers" in message
    assert "parameter names declared twice: units" in message
    assert "parameter units: default 0 fails its own check" in message
    assert "a layer node needs a build or an apply function" in message


def test_id_prefixes_follow_keras_layer_naming(registry):
    assert registry["keras.layers.Dense"].id_prefix == "dense"
    assert registry["data.CsvReader"].id_prefix == "csv_reader"
    from nodeflow.core.spec import snake_case
    assert [snake_case(n) for n in ("Conv2DTranspose", "LSTM", "MaxPooling2D", "PReLU")] == [
        "conv2d_transpose", "lstm", "max_pooling2d", "p_re_lu"]
