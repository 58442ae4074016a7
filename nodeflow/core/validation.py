"""Validation: every problem of a workflow, each naming the node and what is wrong.

Checks: node ids (identifiers of at most 100 characters), unknown node type,
unknown parameter, missing required parameter, ill-typed, out-of-range or too big
a value (see :func:`nodeflow.core.params.size_problem`), unknown or dangling edge
endpoint, incompatible port types, too many connections on a single input,
missing required input, a ``shares_weights_with`` naming a node whose layer cannot be
shared (:mod:`.shared_layers`), and cycles.  Problems come back in a stable order (nodes
in workflow order, then edges), all of them, never just the first.
"""

from __future__ import annotations

from .errors import Problem
from .shared_layers import SHARES_WEIGHTS, shared_owner
from .workflow import Edge, Workflow, id_problem, unknown_param_message, unknown_type_problem


def validate(workflow: Workflow) -> list[Problem]:
    problems: list[Problem] = []
    registry = workflow.registry
    for node in workflow:
        bad_id = id_problem(node.id)
        if bad_id:
            problems.append(Problem(node.id, "id", bad_id))
        spec = registry.get(node.type)
        if spec is None:
            problems.append(unknown_type_problem(registry, node.type, node.id))
            continue
        before = len(problems)
        for name, value in node.params.items():
            param = spec.param(name)
            if param is None:
                problems.append(Problem(node.id, name, unknown_param_message(spec, name)))
            else:
                problems += [Problem(node.id, path, msg) for path, msg in param.check(value)]
        for param in spec.params:
            if param.required and param.name not in node.params:
                problems.append(
                    Problem(node.id, param.name, f"missing required parameter; expected {param.expected()}")
                )
        if spec.check is not None and len(problems) == before:  # on well-formed values only
            problems += [Problem(node.id, where, message)
                         for where, message in spec.check(spec.resolve(node.params), workflow.resolve_path)]
        if len(problems) == before:
            _owner, shared = shared_owner(workflow, node.id)
            if shared:
                problems.append(Problem(node.id, SHARES_WEIGHTS, shared))
    good_edges = _check_edges(workflow, problems)
    into: dict[tuple[str, str], list[Edge]] = {}
    for edge in dict.fromkeys(workflow.edges):
        into.setdefault((edge.target, edge.target_port), []).append(edge)
    for node in workflow:
        spec = registry.get(node.type)
        for port in spec.inputs if spec else ():
            # every distinct edge into the port counts, faulty ones included: a wrong
            # connection is reported once, as wrong, not again as missing
            connected = into.get((node.id, port.name), [])
            if not port.optional and not connected:
                problems.append(
                    Problem(node.id, f"input port {port.name}",
                            f"missing required connection; expected a {port.type} input, got none")
                )
            if not port.multi and len(connected) > 1:
                problems.append(
                    Problem(node.id, f"input port {port.name}",
                            f"expected at most one connection, got {len(connected)}: "
                            + ", ".join(str(e) for e in connected))
                )
    problems += _cycle_problems(workflow, good_edges)
    return problems


def _check_edges(workflow: Workflow, problems: list[Problem]) -> list[Edge]:
    """Report repeated edges and each edge's own problems; return the sound edges.

    An edge's own problems come from :meth:`Workflow.edge_problems`, the check
    ``connect`` uses too, so the editor refuses an edge with the words validation
    reports it with.
    """
    good: list[Edge] = []
    seen: set[Edge] = set()
    for edge in workflow.edges:
        if edge in seen:
            problems.append(Problem(None, f"edge {edge}", "expected each connection once, got a duplicate"))
            continue
        seen.add(edge)
        own = workflow.edge_problems(edge.source, edge.source_port, edge.target, edge.target_port)
        problems += own
        ends_known = all(n in workflow.nodes and workflow.nodes[n].type in workflow.registry
                         for n in (edge.source, edge.target))
        if not own and ends_known:
            good.append(edge)
    return good


def _cycle_problems(workflow: Workflow, edges: list[Edge]) -> list[Problem]:
    """One problem per cycle found, listing the nodes around it."""
    succ: dict[str, list[str]] = {n: [] for n in workflow.nodes}
    for e in edges:
        succ[e.source].append(e.target)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    problems = []
    for start in workflow.nodes:
        if state.get(start):
            continue
        path: list[str] = []
        stack = [(start, iter(succ[start]))]
        state[start] = 1
        path.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                loop = path[path.index(child):] + [child]
                problems.append(Problem(child, "connections",
                                        "expected an acyclic graph, got a cycle: " + " -> ".join(loop)))
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(succ[child])))
    return problems


def topological_order(workflow: Workflow) -> list[str]:
    """Node ids so that every node comes after its inputs (workflow order breaks ties)."""
    indegree = {n: 0 for n in workflow.nodes}
    succ: dict[str, list[str]] = {n: [] for n in workflow.nodes}
    for e in workflow.edges:
        if e.source in indegree and e.target in indegree:
            indegree[e.target] += 1
            succ[e.source].append(e.target)
    ready = [n for n in workflow.nodes if indegree[n] == 0]
    order = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for child in succ[node]:
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    if len(order) != len(workflow.nodes):
        raise ValueError("the workflow has a cycle")
    return order
