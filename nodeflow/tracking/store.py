"""Where a workflow's runs are recorded, and opening that store.

The default is a SQLite database beside the run folders, ``<workflow folder>/runs/
mlflow.db``, with artifacts in ``runs/mlartifacts/`` (so nothing needs a server and
nothing lands in ``./mlruns`` of whatever folder the run was started from), in an
experiment named after the workflow.  ``--tracking-uri`` or ``NODEFLOW_TRACKING_URI``
(then MLflow's own ``MLFLOW_TRACKING_URI``) point elsewhere, e.g. a team's server;
``--no-track`` or ``NODEFLOW_NO_TRACK=1`` turn tracking off.  The environment names
are a contract with ``nodeflow sweep``, which sets them for its trials.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

ENV_URI = "NODEFLOW_TRACKING_URI"
ENV_NO_TRACK = "NODEFLOW_NO_TRACK"
ENV_RUN_TAGS = "NODEFLOW_RUN_TAGS"  # a JSON object of extra tags, e.g. a sweep's study and trial
MLFLOW_ENV_URI = "MLFLOW_TRACKING_URI"
RUNS_FOLDER = "runs"
DB_FILE = "mlflow.db"
ARTIFACTS_FOLDER = "mlartifacts"


@dataclass(frozen=True)
class Store:
    """An MLflow tracking URI, the experiment a workflow's runs go to, and where that
    experiment keeps artifacts when NodeFlow creates it (None: the server decides)."""

    uri: str
    experiment: str
    artifact_location: str | None = None

    @property
    def sqlite_path(self) -> Path | None:
        """The database file of a ``sqlite:///`` store, else None."""
        if not self.uri.startswith("sqlite:"):
            return None
        path = unquote(urlparse(self.uri).path)
        return Path(path[1:] if path.startswith("//") else path)

    def exists(self) -> bool:
        """False only for a SQLite store whose database was never created (reading it would
        create it); other stores are asked."""
        path = self.sqlite_path
        return path is None or path.is_file()


def tracking_disabled(no_track: bool = False, env: Mapping[str, str] = os.environ) -> bool:
    return no_track or env.get(ENV_NO_TRACK, "").strip().lower() in ("1", "true", "yes", "on")


def resolve_store(workflow_dir: str | os.PathLike, name: str, tracking_uri: str | None = None,
                  env: Mapping[str, str] = os.environ) -> Store:
    """The store for the runs of workflow ``name`` whose folder is ``workflow_dir``."""
    uri = tracking_uri or env.get(ENV_URI) or env.get(MLFLOW_ENV_URI)
    if not uri:
        runs = Path(workflow_dir).resolve() / RUNS_FOLDER
        return Store(f"sqlite:///{runs / DB_FILE}", name, str(runs / ARTIFACTS_FOLDER))
    store = Store(uri, name)
    db = store.sqlite_path
    if db is not None:  # artifacts beside the database, not in ./mlruns of the current folder
        return Store(uri, name, str(db.resolve().parent / ARTIFACTS_FOLDER))
    return store


def import_mlflow():
    """MLflow, imported quietly: no INFO lines about creating tables on a run's output, no
    usage telemetry sent from a user's runs (unless they ask for it in the environment)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    import mlflow

    for logger in ("mlflow", "alembic"):
        logging.getLogger(logger).setLevel(logging.WARNING)
    return mlflow


@contextlib.contextmanager
def _creation_lock(store: Store):
    """Held while a SQLite store is opened: two processes creating the same new database
    (two sweep workers starting together) would both run its migrations."""
    db = store.sqlite_path
    if db is None:
        yield
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no lock; concurrent first use is rare there
        yield
        return
    with open(db.parent / f".{db.name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_client(store: Store, create: bool = True):
    """``(MlflowClient, experiment id)``; the experiment is created when missing and
    ``create`` is true, else the id is None."""
    import_mlflow()
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    with _creation_lock(store):
        client = MlflowClient(tracking_uri=store.uri)
        experiment = client.get_experiment_by_name(store.experiment)
        if experiment is None and create:
            try:
                return client, client.create_experiment(store.experiment,
                                                        artifact_location=store.artifact_location)
            except MlflowException:  # created meanwhile by another process
                experiment = client.get_experiment_by_name(store.experiment)
                if experiment is None:
                    raise
    return client, (experiment.experiment_id if experiment is not None else None)
