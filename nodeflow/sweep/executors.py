"""Where trials run: child processes on this machine, or Ray tasks on a cluster.

Both executors have the same small interface, driven by the sweep's one loop
(:mod:`nodeflow.sweep.study`): ``submit(spec)``, ``poll()`` -> the trials that ended
with their outcomes, ``epochs(number)`` -> the learner's epoch events so far (local
only: what pruning reads), ``prune(number)`` and ``stop()`` (terminate everything).
Neither schedules anything itself: the loop asks Optuna for a trial whenever fewer than
``--workers`` run.

Ray: each trial is a ``ray.remote`` task (``num_cpus``/``num_gpus`` per trial) that runs
the same child command on a worker and reads the metric there, so the workflow's folder
(its data and the trials' run folders) must be reachable at the same absolute path on
every worker: a shared file system, or one machine.  Without ``--address`` a local Ray
instance with ``--workers`` CPUs is started, quietly (no dashboard, no driver logs).
"""

from __future__ import annotations

from nodeflow.core.workflow import Workflow

from . import trial as trials


class ExecutorError(RuntimeError):
    """The executor cannot start (Ray missing or unreachable); a usage error."""


class LocalExecutor:
    def __init__(self, workflow: Workflow):
        self.workflow = workflow
        self.running: dict[int, trials.RunningTrial] = {}

    def submit(self, spec: trials.TrialSpec) -> None:
        self.running[spec.number] = trials.start(spec)

    def poll(self) -> list[tuple[int, trials.Outcome]]:
        done = []
        for number, running in list(self.running.items()):
            if running.process.poll() is not None:
                del self.running[number]
                done.append((number, running.finish(self.workflow)))
        return done

    def epochs(self, number: int) -> list[dict]:
        running = self.running.get(number)
        return [e for e in running.new_events() if e.get("event") == "epoch"] if running else []

    def prune(self, number: int) -> None:
        running = self.running.get(number)
        if running is not None:
            running.pruned = True
            running.terminate()

    def stop(self) -> None:
        for running in self.running.values():
            running.terminate()

    def wait(self, timeout: float = 10.0) -> list[tuple[int, trials.Outcome]]:
        """After :meth:`stop`: wait for the children (killing any that do not end in
        ``timeout`` seconds) and return their outcomes."""
        import subprocess

        for running in self.running.values():
            try:
                running.process.wait(timeout)
            except subprocess.TimeoutExpired:
                running.process.kill()
                running.process.wait()
        return self.poll()

    def close(self) -> None:
        pass


class RayExecutor:
    supports_pruning = False

    def __init__(self, workflow: Workflow, workers: int, address: str | None,
                 num_cpus: float = 1, num_gpus: float = 0):
        try:
            import ray
        except ImportError:
            raise ExecutorError("--executor ray needs Ray: pip install nodeflow[ray]") from None
        import logging

        self.ray = ray
        self.workflow = workflow
        options = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
                       configure_logging=True)
        try:
            if address:
                ray.init(address=address, **options)
            else:
                ray.init(num_cpus=workers, **options)
        except Exception as exc:  # noqa: BLE001 - Ray raises many kinds; all mean "cannot start"
            raise ExecutorError(f"--executor ray: cannot start or reach Ray "
                                f"({address or 'a local instance'}): {exc}") from None
        self.task = ray.remote(num_cpus=num_cpus, num_gpus=num_gpus, max_retries=0)(trials.run_to_end)
        self.running: dict = {}  # ObjectRef -> trial number

    def submit(self, spec: trials.TrialSpec) -> None:
        self.running[self.task.remote(spec)] = spec.number

    def poll(self) -> list[tuple[int, trials.Outcome]]:
        if not self.running:
            return []
        ready, _ = self.ray.wait(list(self.running), num_returns=len(self.running), timeout=0)
        done = []
        for ref in ready:
            number = self.running.pop(ref)
            try:
                done.append((number, self.ray.get(ref)))
            except Exception as exc:  # noqa: BLE001 - a lost worker, a cancelled task
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                done.append((number, trials.Outcome(trials.FAIL, error=f"ray: {first}")))
        return done

    def epochs(self, number: int) -> list[dict]:
        return []

    def prune(self, number: int) -> None:  # pragma: no cover - refused before a sweep starts
        raise NotImplementedError

    def stop(self) -> None:
        for ref in self.running:
            self.ray.cancel(ref)  # KeyboardInterrupt in the task, which terminates its child

    def wait(self, timeout: float = 10.0) -> list[tuple[int, trials.Outcome]]:
        if self.running:
            self.ray.wait(list(self.running), num_returns=len(self.running), timeout=timeout)
        done = self.poll()
        for ref, number in list(self.running.items()):
            self.ray.cancel(ref, force=True)
            done.append((number, trials.Outcome(trials.FAIL, error="interrupted")))
        self.running.clear()
        return [(n, trials.Outcome(trials.FAIL, error="interrupted") if o.state == trials.FAIL
                 and o.error.startswith("ray:") else o) for n, o in done]

    def close(self) -> None:
        self.ray.shutdown()
