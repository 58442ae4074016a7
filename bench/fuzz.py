"""Fuzz the headless workflow path at scale: load, validate, copy and plan.

Runs N corrupted variants (default 100,000) of tests/data/small_mlp.nflow and of every
example in workflows/, made by the same mutators as tests/core/test_fuzz.py (which runs
a few thousand of them in CI), and reports counts:

* files: variants examined, by outcome (rejected on load, loaded with problems, valid);
* tracebacks: variants that ended in an exception other than a clean report;
* hangs: variants that took longer than the per-variant time limit (``--limit``).

Target: 0 tracebacks and 0 hangs.  Each failure is printed with its file and index, so
``mutate(base, index)`` reproduces it.

    python bench/fuzz.py [N] [--limit SECONDS] [--start INDEX]
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class Hang(Exception):
    """A variant ran past the per-variant time limit."""


def _alarm(signum, frame):
    raise Hang()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000, help="variants to run")
    parser.add_argument("--limit", type=float, default=10.0, help="seconds per variant before it counts as a hang")
    parser.add_argument("--start", type=int, default=0, help="first variant index")
    args = parser.parse_args(argv)

    from nodeflow.runtime.plan import plan_run
    from nodeflow.core import loads
    from tests.core.test_fuzz import BASE_FILE, EXAMPLES, examine, mutate

    bases = [BASE_FILE, *EXAMPLES]
    datas = [path.read_bytes() for path in bases]
    outcomes: Counter[str] = Counter()
    tracebacks: list[str] = []
    hangs: list[str] = []
    signal.signal(signal.SIGALRM, _alarm)
    started = time.perf_counter()
    for count, index in enumerate(range(args.start, args.start + args.n)):
        which = count % len(bases)
        variant = mutate(datas[which], index)
        label = f"{bases[which].name} variant {index} ({variant.kind}: {variant.note[:120]})"
        signal.setitimer(signal.ITIMER_REAL, args.limit)
        try:
            result = examine(variant.data)
            if result != "rejected":
                workflow = loads(variant.data, base_dir=str(bases[which].parent))
                plan_run(workflow.copy())  # the editor's and the CLI's first step
            outcomes[result] += 1
        except Hang:
            hangs.append(label)
        except Exception:  # noqa: BLE001 - counted and printed
            tracebacks.append(label + "\n" + traceback.format_exc(limit=4))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if (count + 1) % 10_000 == 0:
            print(f"... {count + 1:,} variants, {len(tracebacks)} tracebacks, {len(hangs)} hangs",
                  flush=True)
    elapsed = time.perf_counter() - started
    for text in tracebacks[:20] + hangs[:20]:
        print(text)
    files = sum(outcomes.values()) + len(tracebacks) + len(hangs)
    print(f"files: {files:,} ({', '.join(f'{k} {v:,}' for k, v in sorted(outcomes.items()))}) "
          f"from {len(bases)} base files in {elapsed:.0f} s")
    print(f"tracebacks: {len(tracebacks)}")
    print(f"hangs (over {args.limit:g} s): {len(hangs)}")
    return 1 if tracebacks or hangs else 0


if __name__ == "__main__":
    sys.exit(main())
