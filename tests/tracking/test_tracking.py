"""Every `nodeflow run` is recorded in MLflow: read back with MLflow's own client."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import WORKFLOWS

pytestmark = pytest.mark.keras

TRACKING_ENV = ("NODEFLOW_NO_TRACK", "NODEFLOW_TRACKING_URI", "MLFLOW_TRACKING_URI", "NODEFLOW_RUN_TAGS")
CHEAP = ("--node", "partitioning_1")  # data nodes only: no TensorFlow, a second or two


def nodeflow(*args, cwd, **env):
    environment = {k: v for k, v in os.environ.items() if k not in TRACKING_ENV}
    environment.update(env)
    return subprocess.run([sys.executable, "-m", "nodeflow", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=environment)


@pytest.fixture
def iris(tmp_path) -> Path:
    path = tmp_path / "iris_mlp.nflow"
    shutil.copy(WORKFLOWS / "iris_mlp.nflow", path)
    return path


def client_runs(db: Path, experiment="iris_mlp"):
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{db}")
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment} in {db}"
    return client, client.search_runs([found.experiment_id], order_by=["attributes.start_time ASC"])


def test_a_run_is_recorded_with_params_epochs_final_metrics_tags_and_the_workflow(iris, tmp_path):
    result = nodeflow("run", str(iris), "--set", "learner.epochs=3", "--set", "dense_1.units=12", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "mlflow" not in (result.stdout + result.stderr).lower()  # nothing from MLflow on the output
    client, runs = client_runs(tmp_path / "runs" / "mlflow.db")
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert params["dense_1.units"] == "12" and params["learner.epochs"] == "3"
    assert params["learner.optimizer"] == "adam" and float(params["learner.optimizer.learning_rate"]) == 0.01
    assert params["dense_1.kernel_initializer"] == "glorot_uniform"  # defaults too: runs compare fully
    history = client.get_metric_history(run.info.run_id, "learner.val_loss")
    assert [m.step for m in history] == [1, 2, 3]
    assert run.data.metrics["learner.loss"] == client.get_metric_history(run.info.run_id, "learner.loss")[-1].value
    assert 0 <= run.data.metrics["scorer.accuracy"] <= 1
    assert run.data.metrics["learner.best_epoch"] in (1, 2, 3)
    tags = run.data.tags
    assert tags["nodeflow.workflow"] == "iris_mlp" and tags["nodeflow.status"] == "executed"
    assert len(tags["nodeflow.fingerprint"]) == 24
    assert json.loads(tags["nodeflow.overrides"]) == ["learner.epochs=3", "dense_1.units=12"]
    assert tags["nodeflow.run_dir"] == str(tmp_path / "runs" / "iris_mlp")
    assert tags["nodeflow.wrote.savedmodel_writer"] == str(tmp_path / "output" / "iris_mlp.savedmodel")
    artifact = Path(client.download_artifacts(run.info.run_id, "workflow/iris_mlp.nflow", str(tmp_path / "dl")))
    as_run = json.loads(artifact.read_text())
    assert {n["id"]: n["params"] for n in as_run["nodes"]}["dense_1"]["units"] == 12  # with the overrides
    assert (tmp_path / "runs" / "mlartifacts").is_dir() and not (tmp_path / "mlruns").exists()

    # run again: every node is reused, and the record is still complete
    result = nodeflow("run", str(iris), "--set", "learner.epochs=3", "--set", "dense_1.units=12", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "cached" in result.stdout
    client, runs = client_runs(tmp_path / "runs" / "mlflow.db")
    again = runs[1]
    assert again.data.tags["nodeflow.fingerprint"] == tags["nodeflow.fingerprint"]
    assert [m.step for m in client.get_metric_history(again.info.run_id, "learner.val_loss")] == [1, 2, 3]
    assert again.data.metrics["scorer.accuracy"] == run.data.metrics["scorer.accuracy"]


def test_no_track_flag_and_environment_record_nothing(iris, tmp_path):
    assert nodeflow("run", str(iris), *CHEAP, "--no-track", cwd=tmp_path).returncode == 0
    assert nodeflow("run", str(iris), *CHEAP, cwd=tmp_path, NODEFLOW_NO_TRACK="1").returncode == 0
    assert (tmp_path / "runs" / "iris_mlp").is_dir()  # the runs happened
    assert not (tmp_path / "runs" / "mlflow.db").exists()
    assert not list(tmp_path.rglob("mlflow.db")) and not (tmp_path / "mlruns").exists()


def test_tracking_uri_and_run_tags_from_the_environment(iris, tmp_path):
    other = tmp_path / "team" / "store.db"
    other.parent.mkdir()
    tags = json.dumps({"nodeflow.sweep": "study-1", "nodeflow.trial": "7"})
    result = nodeflow("run", str(iris), *CHEAP, "--tracking-uri", f"sqlite:///{other}", cwd=tmp_path,
                      NODEFLOW_RUN_TAGS=tags)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "runs" / "mlflow.db").exists()
    _, runs = client_runs(other)
    assert runs[0].data.tags["nodeflow.sweep"] == "study-1" and runs[0].data.tags["nodeflow.trial"] == "7"
    assert (tmp_path / "team" / "mlartifacts").is_dir()  # artifacts beside that database

    result = nodeflow("run", str(iris), *CHEAP, cwd=tmp_path, NODEFLOW_TRACKING_URI=f"sqlite:///{other}")
    assert result.returncode == 0, result.stderr
    assert len(client_runs(other)[1]) == 2


def test_a_failing_run_is_recorded_failed(iris, tmp_path):
    result = nodeflow("run", str(iris), *CHEAP, "--set", 'category_to_number_1.columns=["nope"]', cwd=tmp_path)
    assert result.returncode == 4, result.stderr
    _, runs = client_runs(tmp_path / "runs" / "mlflow.db")
    assert runs[0].info.status == "FAILED" and runs[0].data.tags["nodeflow.status"] == "failed"


@pytest.mark.parametrize("uri", ["http://127.0.0.1:9", "sqlite:///{tmp}/a-file/mlflow.db"])
def test_an_unreachable_store_warns_and_the_run_still_succeeds(iris, tmp_path, uri):
    (tmp_path / "a-file").write_text("a file where the store's folder would be")  # unwritable, even as root
    result = nodeflow("run", str(iris), *CHEAP, "--tracking-uri", uri.format(tmp=tmp_path), cwd=tmp_path,
                      MLFLOW_HTTP_REQUEST_MAX_RETRIES="0", MLFLOW_HTTP_REQUEST_TIMEOUT="5")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stdout.splitlines() if "not tracked" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: run not tracked in MLflow"), result.stdout
    assert "partitioning_1 (Partitioning): executed" in result.stdout


def test_nodeflow_runs_lists_runs_newest_first_with_the_differing_parameter(iris, tmp_path):
    result = nodeflow("runs", str(iris), cwd=tmp_path)
    assert result.returncode == 0 and "no runs recorded" in result.stdout
    assert not (tmp_path / "runs" / "mlflow.db").exists()  # looking creates nothing
    for seed in (3, 4):
        assert nodeflow("run", str(iris), *CHEAP, "--set", f"partitioning_1.seed={seed}",
                        cwd=tmp_path).returncode == 0
    result = nodeflow("runs", str(iris), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "partitioning_1.seed" in result.stdout and "dense_1.units" not in result.stdout
    rows = [line for line in result.stdout.splitlines() if "finished" in line]
    assert len(rows) == 2 and " 4 " in rows[0] and " 3 " in rows[1]  # newest first
    assert "dense_1.units" in nodeflow("runs", str(iris), "--all-params", cwd=tmp_path).stdout
    listed = json.loads(nodeflow("runs", str(iris), "--json", "--limit", "1", cwd=tmp_path).stdout)
    assert len(listed) == 1 and listed[0]["params"]["partitioning_1.seed"] == "4"


def test_every_sweep_trial_is_recorded_with_its_study_and_number(iris, tmp_path):
    result = nodeflow("sweep", str(iris), "--set", "learner.epochs=2", "--param", "dense_1.units=choice(4,8)",
                      "--sampler", "grid",
                      "--metric", "scorer.accuracy", "--direction", "maximize", "--trials", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    client, runs = client_runs(tmp_path / "runs" / "mlflow.db")
    assert sorted(r.data.tags["nodeflow.trial"] for r in runs) == ["0", "1"]
    assert {r.data.tags["nodeflow.sweep"] for r in runs} == {"iris_mlp"}
    assert sorted(r.data.params["dense_1.units"] for r in runs) == ["4", "8"]
    assert all(r.data.params["learner.epochs"] == "2" for r in runs)  # the sweep's fixed --set
    assert all(r.info.status == "FINISHED" and "scorer.accuracy" in r.data.metrics for r in runs)
