"""The ``nodeflow`` command.

Exit codes follow KNIME's batch mode (see DESIGN.md): 0 success, 2 bad
arguments, 3 workflow could not be loaded or validated, 4 execution failed,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM: a clean stop, as Ctrl-C).
Sub-commands import what they need inside their handler so that
``nodeflow validate`` and ``nodeflow nodes`` never load Qt or TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Callable, Sequence

from nodeflow import __version__

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INVALID = 3
EXIT_FAILED = 4
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM: stopped cleanly, as after Ctrl-C


# --------------------------------------------------------------------------- validate
def cmd_validate(args: argparse.Namespace) -> int:
    from nodeflow.core import WorkflowFileError, load, validate

    status = EXIT_OK
    for path in args.workflows:
        try:
            workflow = load(path)
        except WorkflowFileError as exc:
            for problem in exc.problems:
                print(f"{path}: {problem}")
            status = EXIT_INVALID
            continue
        if args.unsafe_deserialization:
            _trust_savedmodels(workflow)
        problems = validate(workflow)
        for problem in problems:
            print(f"{path}: {problem}")
        if problems:
            status = EXIT_INVALID
        elif not args.quiet:
            print(f"{path}: valid ({len(workflow.nodes)} nodes, {len(workflow.edges)} connections)")
        if not args.quiet:
            _print_outside(path, workflow, sys.stdout)
    return status


def _print_outside(path: str, workflow, out) -> None:
    """List the paths the workflow reads or writes outside its folder (information for
    validate; the reason for a refusal in run)."""
    from nodeflow.core.outside import outside_paths, report

    lines = report(outside_paths(workflow))
    if lines:
        print(f"{path}: reads or writes outside its folder {workflow.base_dir}:", file=out)
        for line in lines:
            print(f"  {line}", file=out)


# --------------------------------------------------------------------------- inspect
def _load_valid(path: str, trust: bool = False):
    """Load a workflow or print why not; returns None when it cannot be used.  ``trust``:
    --unsafe-deserialization was given (see :func:`_trust_savedmodels`)."""
    from nodeflow.core import WorkflowFileError, load

    try:
        workflow = load(path)
    except WorkflowFileError as exc:
        for problem in exc.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        return None
    if trust:
        _trust_savedmodels(workflow)
    return workflow


def _trust_savedmodels(workflow) -> None:
    """--unsafe-deserialization: trust every SavedModel source of this invocation, as if
    each reader node had its unsafe_deserialization parameter switched on."""
    from nodes.layers.transfer import TRUST_PARAM

    for node in workflow:
        spec = workflow.spec(node.id)
        if spec is not None and spec.param(TRUST_PARAM) is not None:
            workflow.set_param(node.id, TRUST_PARAM, True, check=False)


def cmd_inspect(args: argparse.Namespace) -> int:
    from nodeflow.keras import load_keras
    from nodeflow.keras.shapes import infer_shapes

    load_keras()
    from nodeflow.core.shape_text import shapes_text

    workflow = _load_valid(args.workflow, args.unsafe_deserialization)
    if workflow is None:
        return EXIT_INVALID
    report = infer_shapes(workflow)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        rows = [("node", "type", "output shape", "params")]
        for node in report.nodes.values():
            shapes = shapes_text(s for port in node.outputs.values() for s in port)
            status = "error" if node.error else ("-" if node.skipped else shapes)
            rows.append((node.node_id, node.type.removeprefix("keras.layers."), status,
                         f"{node.params:,}"))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for i, row in enumerate(rows):
            print("  ".join(c.ljust(w) if j < 3 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))))
            if i == 0:
                print("  ".join("-" * w for w in widths))
        print(f"Total params: {report.total_params:,}")  # of the model built, as Keras's summary
        print(f"Trainable params: {report.trainable_params:,}")
        print(f"Non-trainable params: {report.non_trainable_params:,}")
        for problem in report.problems:
            print(f"{args.workflow}: {problem}", file=sys.stderr)
    return EXIT_INVALID if report.problems else EXIT_OK


# --------------------------------------------------------------------------- gui
def cmd_gui(args: argparse.Namespace) -> int:
    from nodeflow.gui import platform_check

    problems = platform_check.check()  # before Qt loads: a plugin that cannot start aborts
    if problems:
        print(platform_check.report(problems), file=sys.stderr)
        return EXIT_USAGE
    from nodeflow.gui.main_window import run_editor

    return run_editor(args.workflow)


# --------------------------------------------------------------------------- run
def _apply_sets(workflow, assignments: list[str]) -> str | None:
    """Apply ``NODE.PARAM=VALUE`` (or ``NODE.PARAM.ARG=VALUE``, an argument of a nested
    choice) overrides; returns an error text for a malformed one or an unknown node.

    Values are JSON when they parse as JSON (``20``, ``true``, ``[28, 28]``), else text;
    they are validated with the rest of the workflow, like values from the file
    (:mod:`nodeflow.core.overrides`, shared with ``nodeflow sweep``).
    """
    from nodeflow.core.overrides import OverrideError, apply_assignments

    try:
        apply_assignments(workflow, assignments)
    except OverrideError as exc:
        return f"--set {exc}"
    return None


def _outside_trusted(path: str, workflow, refusal: str | None = None) -> bool:
    """False (after printing the list and ``refusal``, how to allow it) when the workflow
    reads or writes outside its folder and the user has not trusted it with exactly these
    paths; refusing is a usage decision (exit 2), nothing has run.  ``nodeflow sweep``
    makes the same check with its own refusal."""
    from nodeflow.core.outside import outside_paths
    from nodeflow.core.trust import is_trusted

    if is_trusted(path, outside_paths(workflow)):
        return True
    _print_outside(path, workflow, sys.stderr)
    print(refusal or f"nodeflow run: refusing to run {path}: it is not trusted on this machine to read or "
          f"write these paths; check them, then run again with --allow-outside, or open it in the "
          f"editor and confirm Run to trust it", file=sys.stderr)
    return False


def cmd_run(args: argparse.Namespace) -> int:
    import os
    import signal
    from pathlib import Path

    from nodeflow.runtime.context import RunControl
    from nodeflow.runtime.engine import Engine, WorkflowInvalid, default_run_dir
    from nodeflow.runtime.events import RunOutcome
    from nodeflow.runtime.plan import plan_run
    from nodeflow.runtime.reporting import make_reporter

    if args.out and _not_a_folder(args.out):
        print(f"nodeflow run: error: argument --out: expected a folder for the run's outputs, got "
              f"{args.out}, which is (or lies below) an existing file", file=sys.stderr)
        return EXIT_USAGE
    workflow = _load_valid(args.workflow, args.unsafe_deserialization)
    if workflow is None:
        return EXIT_INVALID
    error = _apply_sets(workflow, args.set or [])
    unknown = [n for n in args.node or [] if n not in workflow.nodes]
    if unknown:
        error = f"--node {unknown[0]}: the workflow has no such node; nodes: {', '.join(workflow.nodes)}"
    if error:
        print(f"nodeflow run: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.base_dir:
        workflow.base_dir = os.path.abspath(args.base_dir)
    plan = plan_run(workflow, args.node)  # with --node, only what the targets need must be valid
    if plan.problems:
        for problem in plan.problems:
            print(f"{args.workflow}: {problem}", file=sys.stderr)
        return EXIT_INVALID
    if not plan.runnable:
        if not args.quiet:
            print(f"{args.workflow}: {plan.message}", file=sys.stderr if args.events == "-" else sys.stdout)
        return EXIT_OK
    if not args.allow_outside and not _outside_trusted(args.workflow, plan.workflow):
        return EXIT_USAGE
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before TensorFlow loads: no GPU at all
    human_out = sys.stderr if args.events == "-" else sys.stdout
    reporter = make_reporter(workflow, quiet=args.quiet, out=human_out)
    sinks = [reporter]
    events_file = None
    if args.events == "-":
        sinks.append(lambda e: (sys.stdout.write(json.dumps(e, default=str) + "\n"), sys.stdout.flush()))
    elif args.events:
        events_file = open(args.events, "w", encoding="utf-8")  # noqa: SIM115 - closed below
        sinks.append(lambda e: (events_file.write(json.dumps(e, default=str) + "\n"), events_file.flush()))
    tracker = _make_tracker(args, workflow, sinks)
    control = RunControl()

    terminated = []  # SIGTERM is a cancel, as Ctrl-C, ending with its own exit code

    def interrupt(signum, frame):
        if control.cancel.is_set():
            if signum == signal.SIGTERM:
                raise SystemExit(EXIT_TERMINATED)
            raise KeyboardInterrupt
        control.cancel.set()
        if signum == signal.SIGTERM:
            terminated.append(signum)
            print("nodeflow: terminated (SIGTERM): cancelling the run", file=sys.stderr, flush=True)
        else:
            print("nodeflow: cancelling (Ctrl-C again to abort at once)", file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, interrupt)
    previous_term = signal.signal(signal.SIGTERM, interrupt)
    if hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, lambda signum, frame: control.stop_learning.set())
    run_dir = Path(args.out) if args.out else default_run_dir(args.workflow)
    _remove_stale_saves(args.workflow)
    engine = Engine(workflow, run_dir, on_event=lambda e: [sink(e) for sink in sinks], control=control,
                    use_cache=not args.no_cache, device=args.device)
    try:
        result = engine.run(args.node, plan=plan)
    except WorkflowInvalid as exc:
        for problem in exc.problems:
            print(f"{args.workflow}: {problem}", file=sys.stderr)
        return EXIT_INVALID
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)
        if tracker is not None:
            tracker.close()  # its warning, if any, still reaches the reporter and the event sinks
        reporter.close()
        if events_file is not None:
            events_file.close()
    if result.status == RunOutcome.CANCELLED:
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    if result.status == RunOutcome.FAILED:
        return EXIT_FAILED
    return EXIT_OK


def _make_tracker(args: argparse.Namespace, workflow, sinks: list):
    """The MLflow tracker of this run, appended to ``sinks`` (None with --no-track).

    Runs are recorded under the workflow's name (``--name``, else the file's stem) in
    the store of its folder (``--base-dir``, else the file's folder): the editor runs a
    snapshot of the document and names the document both ways."""
    import os
    from pathlib import Path

    from nodeflow.tracking.store import resolve_store, tracking_disabled

    if tracking_disabled(args.no_track):
        return None
    from nodeflow.tracking.tracker import RunTracker

    name = args.name or Path(args.workflow).stem
    folder = workflow.base_dir or os.path.dirname(os.path.abspath(args.workflow))
    others = list(sinks)
    tracker = RunTracker(workflow, resolve_store(folder, name, args.tracking_uri), name, args.set,
                         report=lambda event: [sink(event) for sink in others])
    sinks.append(tracker)
    return tracker


def _remove_stale_saves(workflow_path: str) -> None:
    """Remove the temp files that saves of this workflow killed midway left beside it
    (``.NAME.nflow.<random>.tmp``); the run folder's and the writers' own are the engine's."""
    import os
    import time

    from nodeflow.runtime.storage import remove_stale_temps
    from nodeflow.runtime.written import is_writer_temp

    path = os.path.abspath(workflow_path)
    remove_stale_temps(os.path.dirname(path), time.time(), lambda name: is_writer_temp(path, name))


def _not_a_folder(path: str) -> bool:
    """Whether ``path`` cannot become a folder: it, or the nearest part of it that exists,
    is a file."""
    import os

    path = os.path.abspath(path)
    while not os.path.lexists(path):
        path = os.path.dirname(path)
    return not os.path.isdir(path)


# --------------------------------------------------------------------------- runs
def cmd_runs(args: argparse.Namespace) -> int:
    from pathlib import Path

    from nodeflow.tracking.runs import load_runs
    from nodeflow.tracking.store import resolve_store
    from nodeflow.tracking.terminal import print_runs, runs_json

    if args.limit is not None and args.limit < 1:
        print(f"nodeflow runs: error: argument --limit: expected a positive number, got {args.limit}",
              file=sys.stderr)
        return EXIT_USAGE
    path = Path(args.workflow)
    name = args.name or path.stem
    store = resolve_store(path.resolve().parent, name, args.tracking_uri)
    try:
        runs = load_runs(store, args.limit)
    except Exception as exc:  # noqa: BLE001 - an unreachable or damaged store: say which, briefly
        print(f"nodeflow runs: cannot read {store.uri}: {type(exc).__name__}: {str(exc).strip()[:300]}",
              file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(runs_json(runs))
    elif not runs:
        print(f"{args.workflow}: no runs recorded in {store.uri} (experiment {name!r})")
    else:
        print_runs(runs, sys.stdout, every_param=args.all_params, title=f"{name}: {len(runs)} run(s)")
    return EXIT_OK


# --------------------------------------------------------------------------- sweep
def cmd_sweep(args: argparse.Namespace) -> int:
    from nodeflow.sweep.command import run

    return run(args)


def _duration(text: str) -> float:
    """``90``, ``90s``, ``30m``, ``1h``, ``1.5h`` as seconds (for --timeout)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (text[:-1], units[text[-1]]) if text[-1:] in units else (text, 1)
    try:
        seconds = float(number) * unit
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"expected a duration such as 90s, 30m or 1h, got {text!r}")
    return seconds


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


# --------------------------------------------------------------------------- import / export
def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from nodeflow.core import save
    from nodeflow.keras import load_keras
    from nodeflow.keras.importer import ModelImportError, import_model, keep_weights, load_model_file

    load_keras()
    try:
        result = import_model(load_model_file(args.model))
    except ModelImportError as exc:
        print(f"{args.model}: {exc}".replace(f"{args.model}: {args.model}: ", f"{args.model}: "),
              file=sys.stderr)
        return EXIT_INVALID
    output = Path(args.output or Path(args.model).with_suffix(".nflow").name)
    # the weights beside the workflow, referenced by its name (relative to the workflow)
    weights = None if args.structure_only else output.with_name(output.stem + ".weights.npz")
    for path in (output, weights):
        if path is not None and path.exists() and not args.force:
            print(f"{path}: exists already; use --force to overwrite", file=sys.stderr)
            return EXIT_USAGE
    kept = keep_weights(result, weights, weights.name) if weights is not None else 0
    save(result.workflow, output)
    generic = f", {len(result.generic)} as generic Keras layer nodes" if result.generic else ""
    print(f"{output}: {len(result.workflow.nodes)} nodes, {len(result.workflow.edges)} connections"
          f"{generic}")
    if result.custom_notice():
        print(result.custom_notice())
    if weights is not None:
        print(f"weights: {kept} arrays kept in {weights} (loaded by the node load_weights)")
    else:
        print("weights: none kept (--structure-only); the layers start from their initializers")
    return EXIT_OK


def cmd_export_python(args: argparse.Namespace) -> int:
    from pathlib import Path

    from nodeflow.keras import load_keras
    from nodeflow.keras.export import export_python
    from nodeflow.keras.translator import TranslationError

    if args.output not in (None, "-") and not Path(args.output).resolve().parent.is_dir():
        print(f"{args.output}: expected a file in an existing folder, but "
              f"{Path(args.output).resolve().parent} does not exist", file=sys.stderr)
        return EXIT_USAGE
    workflow = _load_valid(args.workflow, args.unsafe_deserialization)
    if workflow is None:
        return EXIT_INVALID
    load_keras()
    try:
        # paths in the script are relative to where it is written (standard output: here)
        script_dir = Path.cwd() if args.output in (None, "-") else Path(args.output).resolve().parent
        code = export_python(workflow, title=Path(args.workflow).stem, script_dir=script_dir)
    except (TranslationError, ValueError) as exc:
        print(f"{args.workflow}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if args.output in (None, "-"):
        sys.stdout.write(code)
    else:
        Path(args.output).write_text(code, encoding="utf-8")
        print(f"{args.output}: written")
    return EXIT_OK


# --------------------------------------------------------------------------- nodes
def _default_text(param) -> str:
    return "required" if param.required else "default " + json.dumps(param.default)


def _node_summary(spec) -> list[str]:
    ports = lambda items: ", ".join(  # noqa: E731
        f"{p.name} ({p.type}{', optional' if p.optional else ''}{', several' if p.multi else ''})"
        for p in items
    ) or "-"
    lines = [f"  {spec.type_id}  \u2014  {spec.display_name}",
             f"      in:  {ports(spec.inputs)}",
             f"      out: {ports(spec.outputs)}"]
    width = max((len(p.name) for p in spec.params), default=0)
    type_width = max((len(p.type_text()) for p in spec.params), default=0)
    for p in spec.params:
        lines.append(f"      {p.name:<{width}}  {p.type_text():<{type_width}}  {_default_text(p)}")
    return lines


def _node_manual(spec) -> list[str]:
    wrap = lambda text, indent: textwrap.fill(  # noqa: E731
        text, width=88, initial_indent=indent, subsequent_indent=indent)
    lines = [f"{spec.display_name}  ({spec.type_id}, {spec.category})", "", wrap(spec.description, "  "), ""]
    for title, ports in (("Inputs", spec.inputs), ("Outputs", spec.outputs)):
        if ports:
            lines.append(f"{title}:")
            for p in ports:
                flags = "".join([", optional" if p.optional else "", ", several" if p.multi else ""])
                lines.append(f"  {p.name} ({p.type}{flags})")
                if p.help:
                    lines.append(wrap(p.help, "      "))
            lines.append("")
    groups = spec.param_groups()
    for group, params in groups:  # one heading per group, as the editor's sections
        lines.append("Parameters:" if len(groups) == 1 else f"Parameters: {group}")
        for p in params:
            lines.append(f"  {p.name}: {p.type_text()}, {_default_text(p)}")
            if p.help:
                lines.append(wrap(p.help, "      "))
            for option in getattr(p, "options", ()):
                if hasattr(option, "args"):
                    args = ", ".join(f"{a.name}={json.dumps(a.default)}" for a in option.args)
                    lines.append(f"      - {option.name}({args}): {option.help}")
        if len(groups) > 1 and group != groups[-1][0]:
            lines.append("")
    return lines


def _matches(spec, query: str) -> bool:
    query = query.lower()
    haystack = " ".join([spec.type_id, spec.display_name, spec.category, spec.description,
                         *spec.keywords]).lower()
    return query in haystack


def cmd_nodes(args: argparse.Namespace) -> int:
    from nodeflow.core import default_registry

    registry = default_registry()
    if args.query and args.query in registry:
        spec = registry[args.query]
        if args.json:
            print(json.dumps(spec.describe(), indent=2))
        else:
            print("\n".join(_node_manual(spec)))
        return EXIT_OK
    specs = [s for s in registry.sorted() if not args.query or _matches(s, args.query)]
    if args.json:
        print(json.dumps([s.describe() for s in specs], indent=2))
        return EXIT_OK
    if not specs:
        print(f"no node type matches {args.query!r}", file=sys.stderr)
        return EXIT_USAGE
    category = None
    for spec in specs:
        if spec.category != category:
            if category is not None:
                print()
            category = spec.category
            print(category)
        print("\n".join(_node_summary(spec)))
    print(f"\n{len(specs)} node types. `nodeflow nodes TYPE` shows one in full.")
    return EXIT_OK


# --------------------------------------------------------------------------- parser
COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "gui": (cmd_gui, "open the editor (optionally on a workflow file)"),
    "validate": (cmd_validate, "check workflow files and report every problem"),
    "nodes": (cmd_nodes, "list the node catalogue, or show one node type in full"),
    "run": (cmd_run, "execute a workflow headless: train, predict, write models"),
    "inspect": (cmd_inspect, "show each layer node's output shape and parameter count"),
    "import": (cmd_import, "turn a Keras model file into an editable workflow"),
    "export-python": (cmd_export_python, "write a standalone Keras script that builds the model"),
    "runs": (cmd_runs, "list a workflow's recorded runs: parameters that differ, final metrics"),
    "sweep": (cmd_sweep, "search parameter values with many runs of a workflow (Optuna)"),
}


def _device_choice(text: str) -> str:
    from nodeflow.runtime import devices

    if not devices.is_valid(text):
        raise argparse.ArgumentTypeError(f"expected {devices.PATTERN_HELP}, got {text!r}")
    return text


def _add_trust_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--unsafe-deserialization", action="store_true",
                        help="trust every SavedModel folder the workflow reads: loading one runs code "
                             "stored in it (as keras.config.enable_unsafe_deserialization()); without "
                             "this, or the node's own unsafe_deserialization switch, it is refused "
                             "(exit 3)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nodeflow",
        description="NodeFlow: wire Keras models as node workflows, validate and run them.",
        epilog="Exit codes: 0 success, 2 bad arguments, 3 workflow could not be loaded or "
               "validated, 4 execution failed, 130 interrupted, 143 terminated (SIGTERM).",
    )
    parser.add_argument("--version", action="version", version=f"nodeflow {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help=COMMANDS["validate"][1],
                       description="Load each workflow file and report all of its problems, one "
                                   "per line as FILE: node ID: PARAMETER: expected ..., got .... "
                                   "Exit 0 when every file is valid, 3 otherwise.")
    p.add_argument("workflows", nargs="+", metavar="WF.nflow", help="workflow files to check")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing for valid files")
    _add_trust_flag(p)

    p = sub.add_parser("nodes", help=COMMANDS["nodes"][1],
                       description="List every node type with its category, ports and parameters "
                                   "(types and defaults). Give a type id for its full "
                                   "documentation, or any other text to filter the list.")
    p.add_argument("query", nargs="?", metavar="TYPE_OR_TEXT",
                   help="a node type id (e.g. keras.layers.Dense) or a search text")
    p.add_argument("--json", action="store_true", help="print the catalogue as JSON")

    p = sub.add_parser("gui", help=COMMANDS["gui"][1],
                       description="Open the NodeFlow editor: node repository, canvas and properties.")
    p.add_argument("workflow", nargs="?", metavar="WF.nflow", help="a workflow file to open")

    p = sub.add_parser("run", help=COMMANDS["run"][1],
                       description="Execute every node of a workflow in dependency order, as the "
                                   "editor's Execute All does. Outputs are kept in a run directory and "
                                   "reused when a node and its inputs did not change. Exit codes: 0 "
                                   "success, 2 bad arguments, 3 the workflow cannot be loaded or is "
                                   "invalid, 4 a node failed, 130 interrupted (Ctrl-C), 143 "
                                   "terminated (SIGTERM).")
    p.add_argument("workflow", metavar="WF.nflow", help="the workflow file")
    p.add_argument("--set", action="append", metavar="NODE.PARAM=VALUE",
                   help="override a parameter for this run (repeatable); VALUE is JSON or text")
    p.add_argument("--out", metavar="DIR", help="run directory (default: runs/<workflow name> beside it)")
    p.add_argument("--device", default="auto", type=_device_choice,
                   help="the device every learner trains on, overriding its own device setting: cpu, gpu, "
                        "gpus (every GPU), gpu:N, or a list such as gpu:0,gpu:1 (one replica each, "
                        "MirroredStrategy); auto (the default) keeps each learner's setting")
    p.add_argument("--events", metavar="FILE", help="write the event stream as JSON lines to FILE "
                                                    "('-' for standard output)")
    p.add_argument("--no-cache", action="store_true", help="execute every node, even unchanged ones")
    p.add_argument("--node", action="append", metavar="NODE",
                   help="execute only this node and what it needs (repeatable), as the editor's "
                        "Execute Selected does")
    p.add_argument("--base-dir", metavar="DIR",
                   help="folder the workflow's relative file paths refer to (default: the workflow "
                        "file's folder); the editor runs a snapshot of an unsaved workflow this way")
    p.add_argument("--allow-outside", action="store_true",
                   help="run even though the workflow reads or writes files outside its folder "
                        "and is not trusted on this machine (this run only; trust is recorded "
                        "when the editor's Run confirms the list)")
    p.add_argument("--tracking-uri", metavar="URI",
                   help="record the run in this MLflow tracking store (e.g. http://mlflow.example:5000 or "
                        "sqlite:///path/mlflow.db); default: $NODEFLOW_TRACKING_URI, $MLFLOW_TRACKING_URI, "
                        "else runs/mlflow.db beside the workflow")
    p.add_argument("--no-track", action="store_true",
                   help="do not record this run in MLflow (also: NODEFLOW_NO_TRACK=1)")
    p.add_argument("--name", metavar="NAME",
                   help="the workflow's name in run tracking: the MLflow experiment and the "
                        "nodeflow.workflow tag (default: the file's name without .nflow)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    _add_trust_flag(p)

    p = sub.add_parser("inspect", help=COMMANDS["inspect"][1],
                       description="Infer the output shape and parameter count of every network node "
                                   "(like Keras's model summary, keyed by node id) and the total. "
                                   "Exit 0 when the network builds, 3 when the file cannot be loaded "
                                   "or a node's shapes do not fit.")
    p.add_argument("workflow", metavar="WF.nflow", help="the workflow file")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    _add_trust_flag(p)

    p = sub.add_parser("import", help=COMMANDS["import"][1],
                       description="Read a Keras model (.keras or .h5) in Keras's safe mode and write "
                                   "a workflow with one node per layer, laid out left to right, and "
                                   "its trained weights to WF.weights.npz beside it (plain arrays, "
                                   "read by the workflow's Load Weights node). Layers without a node type become generic Keras layer nodes; "
                                   "Lambda layers are refused. Exit 3 when the model cannot be "
                                   "imported.")
    p.add_argument("model", metavar="MODEL.keras", help="the Keras model file")
    p.add_argument("-o", "--output", metavar="WF.nflow",
                   help="the workflow file to write (default: the model's name with .nflow)")
    p.add_argument("--force", action="store_true",
                   help="overwrite an existing workflow file (and its weights file)")
    p.add_argument("--structure-only", action="store_true",
                   help="import the layers and connections only: write no weights file, so the "
                        "layers start from their initializers (vocabularies and other adapted "
                        "settings in layer parameters are kept)")

    p = sub.add_parser("export-python", help=COMMANDS["export-python"][1],
                       description="Write a standalone Python script that builds the workflow's Keras "
                                   "model with plain Keras code, one statement per node.")
    p.add_argument("workflow", metavar="WF.nflow", help="the workflow file")
    p.add_argument("-o", "--output", metavar="model.py", help="the script to write (default: stdout)")
    _add_trust_flag(p)

    p = sub.add_parser("runs", help=COMMANDS["runs"][1],
                       description="List the runs of a workflow recorded in MLflow (by nodeflow run, the "
                                   "editor and nodeflow sweep), newest first: start, status, duration, "
                                   "the parameters that differ between them and the final metrics.")
    p.add_argument("workflow", metavar="WF.nflow", help="the workflow file")
    p.add_argument("--tracking-uri", metavar="URI",
                   help="the MLflow tracking store (default: as nodeflow run records to)")
    p.add_argument("--name", metavar="NAME", help="the workflow's name in tracking (default: the file's stem)")
    p.add_argument("--json", action="store_true", help="print every run's parameters, metrics and tags as JSON")
    p.add_argument("--limit", type=int, metavar="N", help="show only the newest N runs")
    p.add_argument("--all-params", action="store_true", help="show every parameter, not only those that differ")

    p = sub.add_parser("sweep", help=COMMANDS["sweep"][1],
                       description="Run many trials of a workflow, each an ordinary headless run with "
                                   "--set overrides drawn by Optuna from the --param spaces, and report "
                                   "the best. Trial run folders, trials.csv and best.json are in "
                                   "runs/<name>.sweeps/<study>/ beside the workflow; the study is stored "
                                   "in <name>.sweep.journal (or --storage), so the same command resumes "
                                   "it. Exit codes: 0 a trial completed, 2 bad arguments, 3 a swept "
                                   "value is invalid, 4 no trial completed, 130 interrupted.")
    p.add_argument("workflow", metavar="WF.nflow", help="the workflow file")
    p.add_argument("--set", action="append", metavar="NODE.PARAM=VALUE",
                   help="a fixed value for every trial (repeatable), as with nodeflow run, "
                        "e.g. learner.epochs=20")
    p.add_argument("--param", action="append", metavar="NODE.PARAM=SPACE",
                   help="a parameter to sweep (repeatable); SPACE: loguniform(LOW,HIGH), "
                        "uniform(LOW,HIGH), float(LOW,HIGH[,log|step=K]), int(LOW,HIGH[,log|step=K]), "
                        "choice(A,B,...); NODE.PARAM.ARG names an argument of a nested choice, e.g. "
                        "learner.optimizer.learning_rate")
    p.add_argument("--metric", required=True, metavar="NODE.NAME",
                   help="the number to optimize: a scorer's metric (scorer.accuracy), a learner's "
                        "last-epoch value (learner.val_loss) or best epoch (learner.best_val_loss)")
    p.add_argument("--direction", choices=("minimize", "maximize"), default="minimize")
    p.add_argument("--trials", type=_count, default=20,
                   help="trials in the whole study (default 20); finished ones count, so a resumed "
                        "sweep runs the rest; 0 runs none (e.g. with --apply-best)")
    p.add_argument("--workers", type=_count, default=1, help="trials at a time (default 1)")
    p.add_argument("--sampler", choices=("tpe", "random", "grid"), default="tpe")
    p.add_argument("--prune", action="store_true",
                   help="stop trials whose epoch values fall behind the median of earlier trials")
    p.add_argument("--timeout", type=_duration, metavar="DURATION",
                   help="start no trial after this long (90s, 30m, 1h); running ones finish")
    p.add_argument("--storage", metavar="URL",
                   help="Optuna storage: a database URL (postgresql://...) shared by several "
                        "machines, or a .journal file (default: <name>.sweep.journal beside the "
                        "workflow)")
    p.add_argument("--study", metavar="NAME", help="study name (default: the workflow's name)")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local: child processes; ray: Ray tasks (pip install nodeflow[ray])")
    p.add_argument("--address", metavar="RAY_ADDRESS",
                   help="Ray cluster to use (default: start a local Ray instance)")
    p.add_argument("--trial-cpus", type=float, default=1, metavar="N",
                   help="CPUs each Ray trial asks for (default 1)")
    p.add_argument("--trial-gpus", type=float, default=None, metavar="N",
                   help="GPUs each Ray trial asks for (default: as many as the learners' device "
                        "setting names, e.g. 1 for gpu:0, 2 for gpu:0,gpu:1, else 0)")
    p.add_argument("--apply-best", metavar="OUT.nflow",
                   help="write a copy of the workflow with the best trial's values")
    p.add_argument("--tracking-uri", metavar="URI", help="MLflow tracking URI for the trials' runs")
    p.add_argument("--no-track", action="store_true", help="do not record the trials in MLflow")
    p.add_argument("--allow-outside", action="store_true",
                   help="let every trial read or write outside the workflow's folder (as for run)")
    p.add_argument("--seed", type=int, help="seed of the sampler (trials keep the workflow's seeds)")
    p.add_argument("-q", "--quiet", action="store_true", help="no live table, only the summary")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; ``argv`` None means the process's own arguments (the program itself)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    code = _dispatch(COMMANDS[args.command][0], args)
    if argv is None:
        end_process(code)
    return code


def end_process(code: int) -> None:
    """End the process that is ``nodeflow`` (``main`` reading the process's own arguments,
    or a warm runner) without the interpreter's teardown, once TensorFlow is loaded; never
    for a caller of :func:`main` that goes on.

    Finalizing an interpreter that has loaded TensorFlow takes about a second, even for a
    bare ``import tensorflow``: its modules and native objects are torn down one by one,
    after everything the command wrote is written and closed.  A person waits through it
    at the end of every run, and the editor and a sweep wait for their children's exit.
    A finished command ends as the interpreter would begin its teardown (threads joined,
    exit handlers run, streams flushed), then leaves; a cancelled one (130, 143) leaves at
    once, as a person who pressed Ctrl-C or Cancel expects."""
    import os

    if code not in (EXIT_INTERRUPTED, EXIT_TERMINATED):
        if "tensorflow" not in sys.modules:  # a light command: the normal exit is quick
            return
        import atexit
        import threading

        threading._shutdown()  # noqa: SLF001 - the interpreter's own first step: join threads
        atexit._run_exitfuncs()  # noqa: SLF001 - then the exit handlers
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a broken pipe: nothing more to say
            pass
    os._exit(code)


def _dispatch(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    from nodeflow.core.errors import RegistryError

    try:
        return handler(args)
    except RegistryError as exc:  # a broken node catalogue is NodeFlow's fault, not the user's
        print(f"nodeflow: error in the node catalogue: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print("nodeflow: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `nodeflow nodes | head`
        sys.stderr.close()
        return EXIT_OK
