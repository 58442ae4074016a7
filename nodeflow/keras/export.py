"""Workflow -> a standalone, readable Keras script that builds the same model.

One statement per node, in dependency order (the translator's walk), named after
the node; only parameters that differ from Keras's defaults are written, so the
script reads like hand-written Keras.  A node whose layer is not simply
``keras.layers.<Class>(...)(x)`` supplies its own code through its spec's
``export_code`` hook (transfer-learning nodes, the generic Keras layer node).

File paths are written relative to the script (``HERE / "..."``, where ``HERE`` is
the script's folder), so a script moved or copied together with its data still
finds it; a path on another drive stays absolute.
"""

from __future__ import annotations

import os
import pprint
import re
from dataclasses import dataclass, field
from typing import Any

from nodeflow.core.errors import Problem
from nodeflow.core.params import FileParam, NestedChoiceParam, ShapeParam
from nodeflow.core.shared_layers import SHARES_WEIGHTS
from nodeflow.core.spec import NodeSpec
from nodeflow.core.validation import validate
from nodeflow.core.workflow import Workflow

from .layers import nested_class
from .shapes import infer_shapes
from .translator import TranslationError, default_outputs, network_nodes, walk

INDENT = "    "


def py(value: Any) -> str:
    """A JSON value as Python source (shapes as tuples)."""
    return repr(value)


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


@dataclass
class ExportContext:
    """Passed to ``export_code`` hooks."""

    workflow: Workflow
    sources: list[str] = field(default_factory=list)  # expressions of the model inputs so far
    imports: set[str] = field(default_factory=set)  # extra modules the script needs
    after_model: list[str] = field(default_factory=list)  # statements on the built `model`
    model_sources: dict[str, str] = field(default_factory=dict)  # node id -> model variable
    prologue: list[str] = field(default_factory=list)  # first statements of build_model()
    script_dir: str | None = None  # where the script will be; None: the workflow's folder
    uses_here: bool = False  # whether the script needs its HERE folder
    main_scope: str | None = None  # a context manager main builds and compiles the model in
    shared: set[str] = field(default_factory=set)  # nodes whose layer other nodes call again

    def sources_expr(self) -> str:
        return "[" + ", ".join(self.sources) + "]"

    def kwargs(self, spec: NodeSpec, params: dict, skip: tuple[str, ...] = ()) -> list[str]:
        return keyword_arguments(spec, params, self.workflow, skip, self)

    def path_code(self, value: str) -> str:
        """A workflow's file path as an expression relative to the script: ``str(HERE / 'x.keras')``."""
        path = os.path.abspath(self.workflow.resolve_path(value))
        base = os.path.abspath(self.script_dir or self.workflow.base_dir or os.getcwd())
        try:
            relative = os.path.relpath(path, base)
        except ValueError:  # another drive (Windows): only an absolute path can reach it
            return py(path)
        self.uses_here = True
        return f"str(HERE / {relative.replace(os.sep, '/')!r})"


def value_code(spec: NodeSpec, name: str, value: Any, workflow: Workflow,
               ctx: ExportContext | None = None) -> str:
    param = spec.param(name)
    if isinstance(param, NestedChoiceParam) and value is not None:
        option, args = param.resolved(value)
        module, _ = nested_class(param, option.target)
        defaults = {a.name: a.default for a in option.args}
        shown = ", ".join(f"{k}={py(v)}" for k, v in args.items() if v != defaults.get(k))
        return f"keras.{module}.{option.target}({shown})"
    if isinstance(param, ShapeParam) and isinstance(value, list):
        return py(_tuples(value))
    if isinstance(param, FileParam) and isinstance(value, str):
        return ctx.path_code(value) if ctx is not None else py(workflow.resolve_path(value))
    return py(value)


def keyword_arguments(spec: NodeSpec, params: dict, workflow: Workflow, skip=(),
                      ctx: ExportContext | None = None) -> list[str]:
    """``name=value`` for every parameter that differs from its default, in declared order."""
    out = []
    for param in spec.params:
        if param.name in skip or param.name not in params:
            continue
        value = params[param.name]
        if param.is_default(value):
            continue
        out.append(f"{param.name}={value_code(spec, param.name, value, workflow, ctx)}")
    return out


def _call(spec: NodeSpec, layer: str, inputs: dict[str, str]) -> str:
    """``layer(x)`` for one input port, ``layer([x, y])`` for one multi port."""
    if len(spec.inputs) != 1:
        raise TypeError(f"{spec.type_id}: several input ports need an export_code hook")
    value = inputs[spec.inputs[0].name]
    return f"{layer}([{', '.join(value)}])" if spec.inputs[0].multi else f"{layer}({value})"


def _default_code(node_id: str, spec: NodeSpec, params: dict, inputs: dict[str, str], ctx):
    args = ctx.kwargs(spec, params) + [f"name={node_id!r}"]
    if spec.type_id == "keras.layers.Input":
        return [f"{node_id} = keras.Input({', '.join(args)})"], node_id
    layer = f"keras.layers.{spec.target}({', '.join(args)})"
    if node_id in ctx.shared:  # other nodes call this layer again: keep it in a variable
        return [f"{node_id}_layer = {layer}", f"{node_id} = {_call(spec, f'{node_id}_layer', inputs)}"], node_id
    return [f"{node_id} = {_call(spec, layer, inputs)}"], node_id


def _shared_call(node_id: str, spec: NodeSpec, owner: str, inputs: dict[str, str], lines: list[str]):
    """A node that shares weights: the owner's layer variable called on this node's input."""
    if not any(line.startswith(f"{owner}_layer = ") for line in lines):
        raise TranslationError([Problem(node_id, SHARES_WEIGHTS, f"names {owner}, whose layer the "
                                        "exported script cannot call again (no variable for it)")])
    try:
        call = _call(spec, f"{owner}_layer", inputs)
    except TypeError:
        raise TranslationError([Problem(node_id, SHARES_WEIGHTS, "a shared layer with several input "
                                        "ports cannot be exported yet")]) from None
    return [f"{node_id} = {call}  # the layer of {owner}, called again (shared weights)"], node_id


def export_python(workflow: Workflow, output: tuple[str, str] | None = None, title: str = "workflow",
                  script_dir: str | os.PathLike | None = None) -> str:
    """The script's text. Raises :class:`TranslationError` for an invalid workflow.

    ``script_dir`` is the folder the script will be saved in (file paths are written
    relative to it); by default the workflow's folder.
    """
    problems = validate(workflow) or infer_shapes(workflow).problems  # a script that would not run
    if problems:
        raise TranslationError(problems)
    refused = [Problem(node_id, None, f"cannot be exported: {spec.export_refusal}")
               for node_id in workflow.nodes
               if (spec := workflow.spec(node_id)) is not None and spec.export_refusal]
    if refused and not output:  # the script would silently leave out what these nodes do
        raise TranslationError(refused)
    learner = None if output else _first_learner(workflow)
    if learner is not None:  # export the network the learner trains, and how it trains it
        edge = workflow.incoming(learner, "network")[0]
        output = (edge.source, edge.source_port)
    nodes = network_nodes(workflow, output[0] if output else None)
    ctx = ExportContext(workflow, script_dir=os.fspath(script_dir) if script_dir is not None else None)
    ctx.shared = {owner for n in nodes if (owner := workflow.nodes[n].params.get(SHARES_WEIGHTS))}
    body: list[str] = []

    def step(node_id, inputs, complete):
        """Write one node's statements; what each port carries is a Python expression: one
        tensor, or a list of tensors when it starts with "*" (ready to splice into a list)."""
        spec = workflow.spec(node_id)
        params = spec.resolve(workflow.nodes[node_id].params)
        label = workflow.nodes[node_id].label
        body.append(f"# {node_id}: {spec.display_name}" + (f" ({label})" if label else ""))
        if params.get(SHARES_WEIGHTS):
            lines, expr = _shared_call(node_id, spec, params[SHARES_WEIGHTS], inputs, body)
        else:
            lines, expr = (spec.export_code or _default_code)(node_id, spec, params, inputs, ctx)
        body.extend(lines)
        if spec.type_id == "keras.layers.Input":
            ctx.sources.append(node_id)
        ports = [p.name for p in spec.outputs if p.type == "network"]
        if len(ports) == 1:
            return {ports[0]: [expr]}
        # e.g. a recurrent layer that may also return its states
        body.append(f"{node_id}_outputs = {expr} if isinstance({expr}, (list, tuple)) else [{expr}]")
        return {port: [f"{node_id}_outputs[{i}]"] for i, port in enumerate(ports)}

    carried = {key: exprs[0] for key, exprs in walk(workflow, nodes, step).items()}
    chosen = [output] if output else default_outputs(workflow, nodes)
    outputs = ", ".join(carried[key] for key in chosen if key in carried)
    model_name = re.sub(r"\W", "_", title)
    lines = [
        f'"""Builds the Keras model of the NodeFlow workflow {title}.',
        "",
        "Generated by `nodeflow export-python`; runs on its own with Keras 3 installed.",
        '"""',
        "",
        *[f"import {module}" for module in sorted(ctx.imports | {"keras"})],
        "",
        "",
        "def build_model() -> keras.Model:",
    ]
    # one input / one output as a plain tensor, as the translator builds it
    inputs_expr = ctx.sources[0] if len(ctx.sources) == 1 and not ctx.sources[0].startswith("*") \
        else ctx.sources_expr()
    outputs_expr = outputs if len(chosen) == 1 and "," not in outputs and not outputs.startswith("*") \
        else f"[{outputs}]"
    body.append(f"model = keras.Model(inputs={inputs_expr}, outputs={outputs_expr}, name={model_name!r})")
    body += ctx.after_model
    body.append("return model")
    main = ["model = build_model()"]
    training: list[str] = []
    if learner is not None:
        spec = workflow.spec(learner)
        training, imports = spec.export_code(learner, spec, spec.resolve(workflow.nodes[learner].params),
                                             None, ctx)
        lines[lines.index("import keras"):lines.index("import keras") + 1] = sorted(
            {"import keras", *[f"import {m}" for m in imports]})
        main.append("compile_model(model)")
    if ctx.main_scope:  # e.g. a distribution strategy: variables are made inside its scope
        main = [f"with {ctx.main_scope}:", *[INDENT + line for line in main]]
    main = [INDENT + line for line in main]
    lines += [INDENT + line if line else "" for line in ctx.prologue + body]
    if training:
        lines += ["", ""] + training
    if ctx.uses_here:  # after the imports, before the functions that use it
        at = lines.index("def build_model() -> keras.Model:")
        lines[at:at] = ["HERE = Path(__file__).resolve().parent  # file paths are relative to this script",
                        "", ""]
        at = lines.index("import keras")
        while lines[at].startswith("import "):
            at += 1
        lines.insert(at, "from pathlib import Path")
    lines += ["", "", 'if __name__ == "__main__":', *main, f"{INDENT}model.summary()", ""]
    return "\n".join(lines)


def _first_learner(workflow: Workflow) -> str | None:
    """The first learner (in workflow order) whose network input is connected."""
    for node_id, node in workflow.nodes.items():
        spec = workflow.spec(node_id)
        if spec is not None and spec.family == "learn" and spec.input("network") is not None \
                and workflow.incoming(node_id, "network") and spec.export_code is not None:
            return node_id
    return None


def format_dict(value: dict, indent: str = INDENT) -> str:
    """A config dictionary as readable Python source, indented for a call's argument."""
    text = pprint.pformat(value, width=88 - len(indent), sort_dicts=False)
    return "\n".join(indent + line for line in text.splitlines())


def upstream_models(ctx: ExportContext, node_id: str) -> list[str]:
    """Variables of the model sources (pretrained / read networks) upstream of a node."""
    upstream = ctx.workflow.upstream(node_id)
    return [var for source, var in ctx.model_sources.items() if source in upstream]
