"""A stand-in for ``nodeflow sweep`` in the editor's tests: same arguments, same files.

It writes ``trials.csv`` (atomically, at every trial start and end), ``best.json`` and
``sweep.json`` into ``<wf dir>/runs/<stem>.sweeps/<study>/`` as the real command does,
a trial every ``--step`` seconds, without Optuna or TensorFlow.  Trial i takes the
i-th value of each space (choices in turn, numbers from the low end up) and scores
0.5 + 0.1 * i, so the last trial is the best when maximizing.  ``--hold`` waits after
the first trial starts until SIGINT; SIGINT exits 130.  ``--fail CODE`` prints a message
on standard error and exits with CODE, as the real command does for bad parameters.
"""

import argparse
import csv
import io
import json
import os
import re
import signal
import sys
import time
from pathlib import Path


def write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def value_of(space: str, i: int):
    form, inner = re.fullmatch(r"(\w+)\((.*)\)", space.replace(" ", "")).groups()
    items = inner.split(",")
    if form == "choice":
        text = items[i % len(items)]
        try:
            return json.loads(text)
        except ValueError:
            return text
    low = float(items[0])
    return int(low) + i if form == "int" else low * (i + 1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("workflow")
    parser.add_argument("--param", action="append", default=[])
    parser.add_argument("--metric", default="scorer.accuracy")
    parser.add_argument("--direction", default="maximize")
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--study", default="")
    parser.add_argument("--step", type=float, default=0.05)
    parser.add_argument("--hold", action="store_true")
    parser.add_argument("--fail", type=int, default=0)
    args, _rest = parser.parse_known_args()
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    if args.fail:
        print(f"nodeflow sweep: error: --param {args.param[0]}: the workflow has no such parameter",
              file=sys.stderr)
        return args.fail
    workflow = Path(args.workflow)
    folder = workflow.parent / "runs" / f"{workflow.stem}.sweeps" / (args.study or workflow.stem)
    folder.mkdir(parents=True, exist_ok=True)
    params = dict(item.split("=", 1) for item in args.param)
    write(folder / "sweep.json", json.dumps({"workflow": str(workflow), "params": params,
                                              "metric": args.metric, "trials": args.trials}))
    columns = ["number", "state", "value", "duration_s", *params, "run_dir", "error"]
    rows: list[dict] = []

    def flush():
        out = io.StringIO()
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows(rows)
        write(folder / "trials.csv", out.getvalue())

    flush()
    for i in range(args.trials):
        values = {path: value_of(space, i) for path, space in params.items()}
        row = {"number": i, "state": "RUNNING", "value": "", "duration_s": "",
               **{p: json.dumps(v) if not isinstance(v, str) else v for p, v in values.items()},
               "run_dir": str(folder / f"trial-{i:04d}"), "error": ""}
        rows.append(row)
        flush()
        if args.hold:
            while True:
                time.sleep(0.1)
        time.sleep(args.step)
        row.update(state="COMPLETE", value=0.5 + 0.1 * i, duration_s=args.step)
        flush()
        write(folder / "best.json", json.dumps({"trial": i, "value": 0.5 + 0.1 * i, "metric": args.metric,
                                                "direction": args.direction, "overrides": values}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
