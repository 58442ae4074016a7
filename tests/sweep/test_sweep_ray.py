"""`--executor ray`: each trial a Ray task, on a local Ray instance with 2 CPUs."""

import pytest

from tests.sweep.conftest import read_csv, study_dir, sweep
from tests.sweep.test_sweep_run import ACCURACY, PARAMS

pytestmark = [pytest.mark.keras, pytest.mark.slow]


def test_trials_run_as_ray_tasks(iris_fast):
    pytest.importorskip("ray", reason="Ray is not installed (pip install nodeflow[ray])")
    result = sweep(iris_fast, *PARAMS, *ACCURACY, "--trials", "2", "--workers", "2", "--executor", "ray")
    assert result.returncode == 0, result.stderr
    rows = read_csv(iris_fast)
    assert [r["state"] for r in rows] == ["COMPLETE", "COMPLETE"]
    assert all((study_dir(iris_fast) / f"trial-{n:04d}" / "nodes" / "scorer").is_dir() for n in range(2))
