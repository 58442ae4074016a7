"""Layer nodes that call another node's layer again (shared weights): the rule a workflow
file must follow, checked by validation, translation and shape inference alike.

A node whose ``shares_weights_with`` names another node builds no layer of its own: it
calls that node's layer, so the two must be of the same type with the same parameters,
and the named node must own its layer (no chains).  Whether the owner's layer exists
when the sharing node is built depends on the model's graph: the translator checks that.
"""

from __future__ import annotations

from .workflow import Workflow

# the parameter by which a layer node reuses another node's layer; it is the translator's
# business, not an argument of the Keras class
SHARES_WEIGHTS = "shares_weights_with"


def shared_owner(workflow: Workflow, node_id: str) -> tuple[str | None, str | None]:
    """``(owner, problem)``: the node whose layer ``node_id`` calls again (``None`` for a
    node with a layer of its own), or what is wrong with the reference."""
    spec = workflow.spec(node_id)
    params = workflow.nodes[node_id].params
    owner = params.get(SHARES_WEIGHTS) if spec is not None and spec.param(SHARES_WEIGHTS) else None
    if not owner:
        return None, None
    other = workflow.nodes.get(owner)
    if other is None or owner == node_id:
        return None, f"names {owner!r}, expected another node of this workflow"
    if other.type != workflow.nodes[node_id].type:
        return None, (f"names {owner}, a {other.type} node; expected a {spec.type_id} node "
                      "(a layer is shared only between nodes of the same type)")
    if other.params.get(SHARES_WEIGHTS):
        return None, (f"names {owner}, which itself shares the layer of {other.params[SHARES_WEIGHTS]}; "
                      f"name {other.params[SHARES_WEIGHTS]} instead")
    mine = {k: v for k, v in spec.resolve(params).items() if k != SHARES_WEIGHTS}
    theirs = {k: v for k, v in spec.resolve(other.params).items() if k != SHARES_WEIGHTS}
    different = sorted(k for k in mine if mine[k] != theirs.get(k))
    if different:
        return None, (f"names {owner}, whose parameters differ in {', '.join(different)}; "
                      "expected the same parameters (it is the same layer)")
    return owner, None
