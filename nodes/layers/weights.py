"""Load Weights: puts trained weights into the layers upstream, by node id.

``nodeflow import`` writes a model's weights to a data-only file beside the workflow
and ends the imported network with this node, so that every way of building the
model (a run, the learner, the executor, an exported script) starts from the trained
weights.  Layers the file has nothing for (ones added later) keep their initializers.
"""

from __future__ import annotations

from nodeflow.core.params import FileParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec

from .keras_args import NETWORK_OUT
from .transfer import CATEGORY


def apply_load_weights(layer, inputs, params, ctx):
    if ctx is not None and ctx.load_state:  # shape inference builds weightless layers: skip
        from nodeflow.keras.weights import load_weights

        upstream = ctx.workflow.upstream(ctx.node_id)
        load_weights(ctx.workflow.resolve_path(params["path"]),
                     {n: l for n, l in ctx.layers.items() if n in upstream})
    return list(inputs["inputs"])


def export_load_weights(node_id, spec, params, inputs, ctx):
    from nodeflow.keras.weights import LOADER_CODE

    ctx.imports.add("numpy")
    ctx.after_model += [f"# {node_id}: Load Weights", *LOADER_CODE.splitlines(),
                        f"load_weights(model, {ctx.path_code(params['path'])})"]
    return [f"{node_id} = [{', '.join(inputs['inputs'])}]  # weights are loaded below"], f"*{node_id}"


LOAD_WEIGHTS = NodeSpec(
    type_id="keras.LoadWeights",
    display_name="Load Weights",
    category=CATEGORY,
    family="layer",
    description=(
        "Loads trained weights into the layers upstream, matching each layer by its node id: the "
        "weights an imported model came with (nodeflow import writes them beside the workflow). "
        "Layers the file has no weights for, e.g. ones added after the import, keep their initial "
        "values; a layer whose weights no longer fit its shape is reported by name. The file holds "
        "plain arrays only (a NumPy .npz archive), never code. The connected networks pass through "
        "unchanged; at the end of a network they are the model's outputs in connection order, as "
        "with Set Output Layers."
    ),
    inputs=(Port("inputs", "network", "The networks to load weights into; at the end of a network, "
                 "their outputs are the model's outputs, in connection order.", multi=True),),
    outputs=(NETWORK_OUT,),
    params=(
        FileParam(name="path", mode="open", filters=("NodeFlow weights (*.npz)", "All files (*)"),
                  help="The weights file, relative to the workflow's folder when it lies below it."),
    ),
    keywords=("weights", "trained", "import", "checkpoint", "restore"),
    apply=apply_load_weights,
    export_code=export_load_weights,
)

NODES = (LOAD_WEIGHTS,)
