"""The Optuna side of a sweep: storage, sampler, pruner and the ask-and-tell loop.

Storage: by default a journal file beside the workflow, ``<stem>.sweep.journal``
(several processes on one machine may share it; no server); ``--storage`` takes any URL
Optuna accepts (``postgresql://...`` for several machines) or a ``.journal`` path.

Counting: ``--trials N`` is the size of the whole study.  Trials that COMPLETE or were
PRUNED count, and so do RUNNING ones (another process may be running them); FAILed
ones do not, so a failed or interrupted trial is replaced.  After asking Optuna for a
trial, a process checks that fewer than N counted trials come before it (trial numbers
are given out by the storage, in order); otherwise another process took the last slot
and the trial is closed as FAIL "surplus" without running, so processes sharing a study
never run more than N.

Stale trials: each trial records its owner (``host:pid``).  A sweep that starts marks
FAIL the RUNNING trials whose owner ran on this host and is gone (a sweep killed with
SIGKILL); an interrupted sweep (Ctrl-C, SIGTERM) marks its own running trials FAIL
"interrupted" before it exits.  Either way the same command runs replacements.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import metric as metrics
from . import space as spaces
from . import table
from . import trial as trials

OWNER = f"{socket.gethostname()}:{os.getpid()}"
POLL_SECONDS = 0.2


class SweepUsageError(ValueError):
    """A sweep that cannot be set up as asked (exit 2)."""


def storage_for(url: str | None, workflow_path: Path):
    """The Optuna storage for ``--storage`` (None: the journal file beside the workflow)."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    if url is None or "://" not in url:
        path = Path(url) if url else workflow_path.with_name(f"{workflow_path.stem}.sweep.journal")
        return JournalStorage(JournalFileBackend(str(path.resolve())))
    import random
    import time

    from sqlalchemy.exc import IntegrityError, ProgrammingError

    for attempt in range(6):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs={"pool_pre_ping": True})
        except (IntegrityError, ProgrammingError) as exc:
            # Sweeps started together on an empty database race to create Optuna's tables
            # ("duplicate key", "already exists"): the loser waits and opens what the
            # winner created.
            if attempt == 5:
                raise SweepUsageError(f"--storage {url}: cannot open the study storage: {_first_line(exc)}") from None
            time.sleep(0.2 * (attempt + 1) + random.random() * 0.3)
        except Exception as exc:  # noqa: BLE001 - drivers and SQLAlchemy raise many kinds
            raise SweepUsageError(f"--storage {url}: cannot open the study storage: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def make_sampler(kind: str, params: dict[str, spaces.Space], seed: int | None):
    import optuna

    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if kind == "grid":
        grid = {}
        for path, space in params.items():
            values = space.grid()
            if values is None:
                raise SweepUsageError(
                    f"--sampler grid: {path}={space.text} is not a finite list of values; the grid "
                    f"sampler takes choice(...) and int(LOW, HIGH, step=K) / float(LOW, HIGH, step=K)")
            grid[path] = [space.encode(v) for v in values]
        return optuna.samplers.GridSampler(grid, seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def grid_size(params: dict[str, spaces.Space]) -> int:
    size = 1
    for space in params.values():
        size *= len(space.grid() or ())
    return size


def open_study(storage, name: str, direction: str, sampler=None, pruner=None, create: bool = True):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if create:
        return optuna.create_study(storage=storage, study_name=name, direction=direction,
                                   sampler=sampler, pruner=pruner, load_if_exists=True)
    return optuna.load_study(storage=storage, study_name=name, sampler=sampler, pruner=pruner)


def make_pruner(prune: bool):
    """Median pruning: once two trials have finished, a trial whose value at an epoch (from
    the second on; the first is noisy) is worse than the median of the finished trials at
    that epoch is stopped.  Optuna's default of 5 startup trials would leave small sweeps
    unpruned."""
    import optuna

    if not prune:
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=2)


def fail_stale(study) -> int:
    """Mark FAIL the RUNNING trials of finished sweep processes on this host."""
    from optuna.trial import TrialState

    host = socket.gethostname()
    count = 0
    for frozen in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner = str(frozen.user_attrs.get("owner", ""))
        owner_host, _, pid = owner.rpartition(":")
        if owner_host == host and pid.isdigit() and not _alive(int(pid)):
            study._storage.set_trial_user_attr(frozen._trial_id, "error", "stale: its sweep process ended")
            study._storage.set_trial_state_values(frozen._trial_id, TrialState.FAIL)
            count += 1
    return count


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def counted(study, before: int | None = None) -> int:
    """Trials that count toward --trials (all but FAIL), of numbers below ``before``."""
    return sum(1 for t in study.get_trials(deepcopy=False)
               if t.state.name != "FAIL" and (before is None or t.number < before))


@dataclass
class Result:
    interrupted: bool = False
    metric_error: str | None = None
    completed: int = 0  # by this process
    failed: int = 0


class Loop:
    """Run trials until the study has ``trials`` counted ones (or the time is up, or an
    interrupt), at most ``workers`` at a time."""

    def __init__(self, study, executor, workflow, params: dict[str, spaces.Space],
                 metric: metrics.Metric, make_spec, study_dir: Path, display: table.Display,
                 trials_wanted: int, workers: int, deadline: float | None, prune: bool):
        self.study, self.executor, self.workflow = study, executor, workflow
        self.params, self.metric, self.make_spec = params, metric, make_spec
        self.study_dir, self.display = study_dir, display
        self.wanted, self.workers, self.deadline, self.prune = trials_wanted, workers, deadline, prune
        self.asked: dict[int, Any] = {}  # number -> optuna Trial (running here)
        self.interrupt = False
        self.learner = metrics.epoch_learner(metric, workflow) if prune else None
        self._best = None

    def run(self) -> Result:
        result = Result()
        launching = True
        self.refresh()
        while True:
            if self.interrupt:
                self.executor.stop()
                for number, outcome in self.executor.wait():
                    self.tell(number, trials.Outcome(trials.FAIL, error="interrupted",
                                                     duration=outcome.duration), result)
                result.interrupted = True
                self.refresh()
                return result
            if self.deadline is not None and time.monotonic() > self.deadline:
                launching = False
            while launching and len(self.asked) < self.workers and not result.metric_error:
                if result.failed >= max(self.wanted, 1) and not result.completed:
                    launching = False  # nothing but failures: the workflow itself is broken
                    break
                if counted(self.study) >= self.wanted or not self.launch():
                    launching = False
            if self.prune:
                self.check_pruning()
            for number, outcome in self.executor.poll():
                self.tell(number, outcome, result)
                if outcome.metric_missing and result.metric_error is None:
                    result.metric_error = outcome.error
                    launching = False
            if not self.asked and (not launching or result.metric_error):
                self.refresh()
                return result
            time.sleep(POLL_SECONDS)

    def launch(self) -> bool:
        """Ask Optuna for a trial and start it; False when the study is full."""
        trial = self.study.ask()
        values = {path: space.suggest(trial, path) for path, space in self.params.items()}
        trial.set_user_attr("owner", OWNER)
        trial.set_user_attr("overrides", values)
        if counted(self.study, before=trial.number) >= self.wanted:
            trial.set_user_attr("error", f"surplus: the study had {self.wanted} trials already")
            _tell(self.study, trial, state=_state(trials.FAIL))
            return False
        self.asked[trial.number] = trial
        self.executor.submit(self.make_spec(trial.number, values))
        self.refresh()
        return True

    def check_pruning(self) -> None:
        for number, trial in list(self.asked.items()):
            for event in self.executor.epochs(number):
                if event.get("node") != self.learner:
                    continue
                value = metrics.epoch_value(self.metric, event.get("metrics", {}),
                                            own=self.metric.node == self.learner)
                if value is None or value != value:
                    continue
                trial.report(value, int(event["epoch"]))
                if trial.should_prune():
                    self.executor.prune(number)
                    break

    def tell(self, number: int, outcome: trials.Outcome, result: Result) -> None:
        trial = self.asked.pop(number, None)
        if trial is None:
            return
        if outcome.error:
            trial.set_user_attr("error", outcome.error)
        if outcome.state == trials.COMPLETE:
            _tell(self.study, trial, outcome.value)
            result.completed += 1
        else:
            _tell(self.study, trial, state=_state(outcome.state))
            result.failed += outcome.state == trials.FAIL
        self.refresh()

    def refresh(self) -> None:
        paths = list(self.params)
        rows = table.rows(self.study, paths, self.study_dir)
        table.write_csv(self.study_dir / "trials.csv", paths, rows)
        best = table.best_record(self.study, self.metric, paths)
        if best is not None and best != self._best:
            table.write_json(self.study_dir / "best.json", best)
            self._best = best
        self.display.update(rows)


def _tell(study, trial, value=None, state=None) -> None:
    """``study.tell``, except that the grid sampler's "every point is done" signal (it calls
    ``study.stop()``, which only ``optimize`` may) is ignored: the trial is stored by then, and
    the loop stops by counting."""
    try:
        study.tell(trial, value, state=state)
    except RuntimeError as exc:
        if "Study.stop" not in str(exc):
            raise


def _state(name: str):
    from optuna.trial import TrialState

    return {trials.FAIL: TrialState.FAIL, trials.PRUNED: TrialState.PRUNED}[name]
