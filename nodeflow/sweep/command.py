"""``nodeflow sweep``: check everything, then run the study and report the best trial.

Before any trial starts, every swept path and every value its space can produce at its
edges (:meth:`Space.corners`, every choice) is applied to a copy of the workflow with
the same override code as ``nodeflow run --set`` and validated with the part of the
workflow a trial runs: an unknown node or a malformed path is exit 2, an unknown
parameter or a value outside a parameter's limits or of the wrong type exit 3, each
with the node and parameter named, exactly as ``nodeflow run`` answers.
"""

from __future__ import annotations

import itertools
import signal
import sys
import time
from pathlib import Path

from nodeflow.core import overrides as override

from . import metric as metrics
from . import space as spaces
from . import study as studies
from . import table
from . import trial as trials
from .executors import ExecutorError, LocalExecutor, RayExecutor

EXIT_OK, EXIT_USAGE, EXIT_INVALID, EXIT_FAILED, EXIT_INTERRUPTED = 0, 2, 3, 4, 130
MAX_COMBINATIONS = 1024  # corner combinations validated together; beyond, one path at a time


def study_dir(workflow_path: Path, study: str) -> Path:
    """``<wf dir>/runs/<stem>.sweeps/<study>/``: the sweep's files and trial folders."""
    return workflow_path.parent / "runs" / f"{workflow_path.stem}.sweeps" / study


def run(args) -> int:
    from nodeflow.cli import _apply_sets, _load_valid

    path = Path(args.workflow).resolve()
    workflow = _load_valid(args.workflow)
    if workflow is None:
        return EXIT_INVALID

    def usage(message: str) -> int:
        print(f"nodeflow sweep: {message}", file=sys.stderr)
        return EXIT_USAGE

    fixed = list(args.set or [])  # the same in every trial: applied first, checked with the rest
    error = _apply_sets(workflow, fixed)
    if error:
        return usage(error)

    # -- the definition ------------------------------------------------------------
    params: dict[str, spaces.Space] = {}
    for item in args.param or []:
        target_text, sep, space_text = item.partition("=")
        if not sep:
            return usage(f"--param {item}: expected NODE.PARAM=SPACE, e.g. "
                         f"'dense_1.units=int(16,256,log)'")
        try:
            target = override.parse_target(target_text.strip())
            override.check_target(workflow, target)
            params[str(target)] = spaces.parse(space_text.strip())
        except (override.OverrideError, spaces.SpaceError) as exc:
            return usage(f"--param {exc}")
    if args.trials > 0 and not params:
        return usage("expected at least one --param NODE.PARAM=SPACE to sweep")
    try:
        metric = metrics.parse(args.metric, args.direction, workflow)
    except metrics.MetricError as exc:
        return usage(str(exc))
    name = args.study or path.stem
    folder = study_dir(path, name)

    problems = _check_values(workflow, params, metric.node)
    if problems:
        for problem in problems:
            print(f"{args.workflow}: {problem}", file=sys.stderr)
        return EXIT_INVALID
    if args.prune and args.executor == "ray":
        return usage("--prune works with --executor local only: pruning follows each trial's epochs "
                     "in the sweep process, and Ray trials run elsewhere")
    if not args.allow_outside and not _outside_ok(args.workflow, workflow, metric.node):
        return EXIT_USAGE

    # -- the study -----------------------------------------------------------------
    try:
        sampler = studies.make_sampler(args.sampler, params, args.seed)
        storage = studies.storage_for(args.storage, path)
        study = studies.open_study(storage, name, args.direction, sampler,
                                   studies.make_pruner(args.prune))
    except studies.SweepUsageError as exc:
        return usage(str(exc))
    except ValueError as exc:  # e.g. an existing study with the other direction
        return usage(f"--study {name}: {exc}")
    wanted = args.trials
    if args.sampler == "grid" and wanted > studies.grid_size(params):
        print(f"nodeflow sweep: the grid has {studies.grid_size(params)} points; running that many "
              f"trials, not {wanted}", file=sys.stderr)
        wanted = studies.grid_size(params)
    folder.mkdir(parents=True, exist_ok=True)
    table.write_json(folder / "sweep.json", {
        "workflow": str(path), "study": name,
        "params": {p: s.text for p, s in params.items()}, "set": fixed,
        "metric": str(metric), "direction": args.direction, "trials": wanted,
        "sampler": args.sampler, "prune": args.prune,
        "storage": args.storage or str(path.with_name(f"{path.stem}.sweep.journal")),
        "executor": args.executor, "seed": args.seed})
    studies.fail_stale(study)

    result = None
    if wanted > 0:
        try:
            gpus = args.trial_gpus if args.trial_gpus is not None else named_gpus(workflow)
            executor = (RayExecutor(workflow, args.workers, args.address, args.trial_cpus, gpus)
                        if args.executor == "ray" else LocalExecutor(workflow))
        except ExecutorError as exc:
            return usage(str(exc))

        def make_spec(number: int, values: dict) -> trials.TrialSpec:
            return trials.TrialSpec(number, str(path), values, str(table.trial_dir(folder, number)),
                                    metric, name, args.allow_outside, args.tracking_uri,
                                    args.no_track, tuple(fixed))

        display = table.Display(list(params), metric, quiet=args.quiet)
        deadline = time.monotonic() + args.timeout if args.timeout else None
        loop = studies.Loop(study, executor, workflow, params, metric, make_spec, folder, display,
                            wanted, args.workers, deadline, args.prune)

        def interrupt(signum, frame):
            loop.interrupt = True

        previous = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            result = loop.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            display.close()
            executor.close()
    else:
        loop_rows = table.rows(study, list(params), folder)
        table.write_csv(folder / "trials.csv", list(params), loop_rows)

    # -- the summary ---------------------------------------------------------------
    best = table.best_record(study, metric, list(params) or _swept(study))
    if best is not None:
        table.write_json(folder / "best.json", best)
    out = sys.stderr if result is not None and result.interrupted else sys.stdout
    counts = {}
    for t in study.get_trials(deepcopy=False):
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    print(f"study {name}: " + ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items())),
          file=out)
    if best is not None:
        print(f"best: trial {best['trial']}, {metric} = {best['value']:.6g}", file=out)
        print(f"  {table.set_text(best['overrides'])}", file=out)
    if result is not None and result.interrupted:
        print("nodeflow sweep: interrupted; the same command resumes the study", file=sys.stderr)
        return EXIT_INTERRUPTED
    if result is not None and result.metric_error:
        print(f"nodeflow sweep: {result.metric_error}", file=sys.stderr)
        return EXIT_USAGE
    if args.apply_best:
        if best is None:
            print(f"nodeflow sweep: --apply-best: study {name} has no completed trial", file=sys.stderr)
            return EXIT_FAILED
        from nodeflow.core.errors import ProblemsError

        from .apply import apply_best

        try:
            apply_best(path, best["overrides"], Path(args.apply_best))
        except ProblemsError as exc:  # the workflow changed since the study ran
            print(f"nodeflow sweep: --apply-best: {exc}", file=sys.stderr)
            return EXIT_INVALID
        except OSError as exc:
            print(f"nodeflow sweep: --apply-best {args.apply_best}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"{args.apply_best}: written with the best trial's values", file=out)
    return EXIT_OK if best is not None else EXIT_FAILED


def named_gpus(workflow) -> int:
    """The GPUs a trial needs, from the learners' ``device`` settings: those they name
    (``gpu``, ``gpu:1``, ``gpu:0,gpu:1``); ``auto`` and ``gpus`` name none, so a Ray trial
    asks for none unless ``--trial-gpus`` says so."""
    most = 0
    for node in workflow.nodes.values():
        device = node.params.get("device") if node.type == "learn.NetworkLearner" else None
        if isinstance(device, str):
            most = max(most, sum(1 for item in device.split(",") if item.strip().startswith("gpu")
                                 and item.strip() != "gpus"))
    return most


def _swept(study) -> list[str]:
    return list(dict.fromkeys(p for t in study.get_trials(deepcopy=False) for p in t.params))


def _check_values(workflow, params: dict[str, spaces.Space], metric_node: str) -> list:
    """Validation problems of the values the spaces can produce (see the module docstring),
    each reported once; a swept node the metric does not depend on is a problem too."""
    from nodeflow.core.errors import Problem
    from nodeflow.runtime.plan import plan_run

    needed = workflow.upstream(metric_node) | {metric_node}
    problems: dict[str, object] = {}
    for path in params:
        node = path.split(".")[0]
        if node not in needed:
            problem = Problem(node, path.split(".", 1)[1],
                              f"not used by the metric's node {metric_node}: a trial runs "
                              f"{metric_node} and what it needs")
            problems[str(problem)] = problem
    targets = {path: override.parse_target(path) for path in params}
    corners = {path: space.corners() for path, space in params.items()}
    combos = 1
    for values in corners.values():
        combos *= len(values)
    if combos <= MAX_COMBINATIONS:
        assignments = [dict(zip(corners, values)) for values in itertools.product(*corners.values())]
    else:
        first = {path: values[0] for path, values in corners.items()}
        assignments = [{**first, path: v} for path, values in corners.items() for v in values]
    for assignment in assignments or [{}]:
        trial = workflow.copy()
        override.apply(trial, [(targets[p], v) for p, v in assignment.items()])
        for problem in plan_run(trial, [metric_node]).problems:
            problems.setdefault(str(problem), problem)
    return list(problems.values())


def _outside_ok(path: str, workflow, metric_node: str) -> bool:
    """The trust check ``nodeflow run`` makes, for the part a trial runs, before any trial."""
    from nodeflow.cli import _outside_trusted
    from nodeflow.runtime.plan import plan_run

    return _outside_trusted(path, plan_run(workflow, [metric_node]).workflow, refusal=(
        f"nodeflow sweep: refusing to sweep {path}: it is not trusted on this machine to read or "
        f"write these paths; check them, then run again with --allow-outside (passed on to "
        f"every trial)"))
