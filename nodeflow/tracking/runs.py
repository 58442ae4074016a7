"""Reading a workflow's recorded runs back: for ``nodeflow runs`` and the Runs view.

Both show the same things, decided here: runs newest first, the parameters that
differ between them, the summary metrics (``node.metric``: a learner's last epoch,
a scorer's numbers) and a learner's per-epoch curves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .store import Store, open_client

SWEEP_TAG = "nodeflow.sweep"
TRIAL_TAG = "nodeflow.trial"


@dataclass
class RunRecord:
    run_id: str
    name: str
    status: str  # MLflow's: RUNNING, FINISHED, FAILED, KILLED
    start: float  # seconds since the epoch
    end: float | None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)  # the latest value of each
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def duration(self) -> float | None:
        return None if self.end is None else max(self.end - self.start, 0.0)

    @property
    def sweep(self) -> str:
        """``study #trial`` for a sweep's trial, else ""."""
        study = self.tags.get(SWEEP_TAG)
        if not study:
            return ""
        trial = self.tags.get(TRIAL_TAG)
        return f"{study} #{trial}" if trial not in (None, "") else study


def load_runs(store: Store, limit: int | None = None) -> list[RunRecord]:
    """The runs of the store's experiment, newest first; none when nothing was recorded
    (a SQLite store that does not exist is not created by looking)."""
    if not store.exists():
        return []
    client, experiment_id = open_client(store, create=False)
    if experiment_id is None:
        return []
    runs: list[RunRecord] = []
    token = None
    while True:
        page = client.search_runs([experiment_id], order_by=["attributes.start_time DESC"],
                                  max_results=min(limit or 1000, 1000), page_token=token)
        for run in page:
            info, data = run.info, run.data
            runs.append(RunRecord(info.run_id, info.run_name or info.run_id[:8], info.status,
                                  info.start_time / 1000, info.end_time / 1000 if info.end_time else None,
                                  dict(data.params), dict(data.metrics),
                                  {k: v for k, v in data.tags.items() if not k.startswith("mlflow.")}))
        token = page.token
        if not token or (limit and len(runs) >= limit):
            return runs[:limit] if limit else runs


def differing_params(runs: list[RunRecord]) -> list[str]:
    """Parameter names whose value is not the same in every run (missing counts), in the
    workflow's order as recorded."""
    names: list[str] = []
    for run in runs:
        names += [k for k in run.params if k not in names]
    return [k for k in names if len({run.params.get(k) for run in runs}) > 1]


def all_params(runs: list[RunRecord]) -> list[str]:
    names: list[str] = []
    for run in runs:
        names += [k for k in run.params if k not in names]
    return names


def learner_nodes(run: RunRecord) -> set[str]:
    """Nodes that trained in this run (they record a best epoch)."""
    return {k.rsplit(".", 1)[0] for k in run.metrics if k.endswith(".best_epoch") and k.count(".") == 1}


def summary_metrics(runs: list[RunRecord]) -> list[str]:
    """``node.metric`` names (not per-class ones, nor a learner's best-epoch copies), sorted."""
    names = {k for run in runs for k in run.metrics if k.count(".") == 1 and not k.endswith(".best_epoch")}
    return sorted(names, key=lambda k: (k.split(".")[0], k.split(".")[1].startswith("val_"), k))


def epoch_metrics(runs: list[RunRecord]) -> list[str]:
    """The per-epoch metrics of the runs' learners (``learner.loss``, ``learner.val_accuracy``)."""
    names = set()
    for run in runs:
        nodes = learner_nodes(run)
        names |= {k for k in run.metrics if k.count(".") == 1 and k.split(".")[0] in nodes
                  and not k.endswith(".best_epoch")}
    return sorted(names, key=lambda k: (k.split(".")[0], k.split(".")[1].removeprefix("val_"),
                                        k.split(".")[1].startswith("val_")))


def histories(store: Store, run_ids: list[str], key: str) -> dict[str, list[tuple[int, float]]]:
    """``run id -> [(step, value)]`` of one metric, sorted by step."""
    if not store.exists():
        return {}
    client, _ = open_client(store, create=False)
    return {run_id: sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))
            for run_id in run_ids}
