"""Two sweep processes share one study on a real PostgreSQL server, as several machines would."""

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.sweep.conftest import sweep_command
from tests.sweep.test_sweep_run import ACCURACY, PARAMS, assert_shared_study_done

pytestmark = [pytest.mark.keras, pytest.mark.slow]


def _postgres_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return versions[-1].parent if versions else None


@pytest.fixture
def postgres_url():
    """A PostgreSQL server of its own (initdb in a temporary folder, a free port, the socket in
    that folder), stopped afterwards.  As root it runs as the user postgres, as it must."""
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed (pip install psycopg2-binary)")
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (no pg_ctl on PATH or in /usr/lib/postgresql)")
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="nodeflow-pg-"))
    if os.geteuid() == 0:
        runuser = shutil.which("runuser", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
        if runuser is None:
            pytest.skip("running as root and util-linux's runuser is missing: PostgreSQL refuses to run as root")
        as_user = [runuser, "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = folder / "data"
    run = lambda *cmd: subprocess.run([*as_user, *cmd], check=True, capture_output=True, timeout=120)  # noqa: E731
    run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
        f"-p {port} -k {folder} -c listen_addresses='' -c fsync=off", "start")
    try:
        yield f"postgresql+psycopg2://postgres@/postgres?host={folder}&port={port}"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def test_two_processes_share_one_postgresql_study(iris_fast, postgres_url):
    args = [*PARAMS, *ACCURACY, "--trials", "4", "--workers", "1", "--study", "team", "-q",
            "--storage", postgres_url]
    processes = [subprocess.Popen(sweep_command(iris_fast, *args), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for process in processes:
        out, err = process.communicate(timeout=400)
        assert process.returncode == 0, err
    assert not (iris_fast.parent / "iris_mlp.sweep.journal").exists()
    assert_shared_study_done(iris_fast, "team", 4)
