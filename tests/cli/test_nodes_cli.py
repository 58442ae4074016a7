"""`nodeflow nodes`: the catalogue as text and JSON, read from the node specs."""

import json

from nodeflow.cli import main


def test_json_catalogue_lists_every_node_with_ports_params_types_and_defaults(capsys, registry):
    assert main(["nodes", "--json"]) == 0
    catalogue = json.loads(capsys.readouterr().out)
    assert sorted(n["type"] for n in catalogue) == sorted(s.type_id for s in registry)
    dense = next(n for n in catalogue if n["type"] == "keras.layers.Dense")
    assert dense["category"] == "Layers/Core"
    assert dense["inputs"] == [{"name": "input", "type": "network", "optional": False, "multi": False,
                                "help": "The tensor this layer is applied to."}]
    params = {p["name"]: p for p in dense["params"]}
    assert params["units"]["type"] == "int >= 1" and params["units"]["required"] is True
    assert params["use_bias"]["default"] is True
    assert params["kernel_initializer"]["default"] == "glorot_uniform"
    normal = next(o for o in params["kernel_initializer"]["options"] if o["name"] == "random_normal")
    assert [(a["name"], a["default"]) for a in normal["args"]] == [
        ("mean", 0.0), ("stddev", 0.05), ("seed", None)]


def test_text_catalogue_groups_by_category(capsys):
    assert main(["nodes"]) == 0
    out = capsys.readouterr().out
    assert "\nLayers/Core\n  keras.layers.Activation  \u2014  Activation\n" in out
    assert "\n  keras.layers.Dense  \u2014  Dense\n" in out
    assert "      units " in out and "required" in out
    assert "Data/Read" in out


def test_one_node_in_full_and_search(capsys):
    assert main(["nodes", "keras.layers.Dropout"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Dropout  (keras.layers.Dropout, Layers/Core)")
    assert "  rate: float >= 0.0 and < 1.0, required" in out
    assert main(["nodes", "fully connected"]) == 0
    assert "keras.layers.Dense " in capsys.readouterr().out
    assert main(["nodes", "no-such-thing"]) == 2


LEARNER_GROUPS = ["Data", "Loss and optimizer", "Training", "Callbacks", "Device"]


def test_one_node_in_full_shows_its_parameter_groups(capsys):
    assert main(["nodes", "learn.NetworkLearner"]) == 0
    out = capsys.readouterr().out
    headings = [line for line in out.splitlines() if line.startswith("Parameters")]
    assert headings == [f"Parameters: {g}" for g in LEARNER_GROUPS]
    training = out[out.index("Parameters: Training"):out.index("Parameters: Callbacks")]
    assert "  epochs: int >= 1 and <= 1000000, default 10" in training and "  loss:" not in training
    assert main(["nodes", "keras.layers.Dropout"]) == 0  # a node without groups: one list
    assert [line for line in capsys.readouterr().out.splitlines()
            if line.startswith("Parameters")] == ["Parameters:"]


def test_json_carries_each_parameters_group(capsys):
    assert main(["nodes", "learn.NetworkLearner", "--json"]) == 0
    learner = json.loads(capsys.readouterr().out)
    assert learner["groups"] == LEARNER_GROUPS
    groups = {p["name"]: p["group"] for p in learner["params"]}
    assert groups["feature_columns"] == "Data" and groups["optimizer"] == "Loss and optimizer"
    assert groups["early_stopping"] == "Callbacks" and groups["xla"] == "Device"
    assert main(["nodes", "keras.layers.Dense", "--json"]) == 0
    dense = json.loads(capsys.readouterr().out)
    assert dense["groups"] == ["Options", "Initializers", "Regularizers", "Constraints"]
