"""The Learning Monitor and the log pane, fed the events a learner emits (no process)."""

from PySide6.QtCore import Qt

from nodeflow.gui.log_pane import LogPane, describe
from nodeflow.gui.monitor import LearningMonitor, TrainingRecord
from nodeflow.gui.plots import smooth


def batch(node, epoch, b, batches=4, epochs=3, seconds=None, **metrics):
    event = {"event": "batch", "node": node, "epoch": epoch, "epochs": epochs, "batch": b, "batches": batches,
             "metrics": metrics}
    return event if seconds is None else {**event, "seconds": seconds}


def epoch(node, e, epochs=3, seconds=2.0, **metrics):
    return {"event": "epoch", "node": node, "epoch": e, "epochs": epochs, "metrics": metrics, "seconds": seconds}


def status(node, value):
    return {"event": "node_status", "node": node, "status": value}


def test_the_first_epoch_eta_leaves_out_the_compiling_first_batch():
    """The first batch also traces and compiles the model (here 20 s): extrapolating from it
    promised 100 batches x 20 s; the pace of the batches after it is 0.5 s."""
    record = TrainingRecord("learner")
    record.apply({"event": "device", "device": "CPU:0"}, now=0.0)
    record.apply(batch("learner", 1, 1, batches=100, epochs=2, seconds=20.0), now=20.0)
    record.apply(batch("learner", 1, 3, batches=100, epochs=2, seconds=21.0), now=21.0)
    assert record.eta(now=21.0) is None  # two timed batches: not enough to tell yet
    record.apply(batch("learner", 1, 5, batches=100, epochs=2, seconds=22.0), now=22.5)
    assert record.eta(now=22.5) == (95 + 100) * 0.5  # the learner's clock, not the late arrival
    assert record.eta(now=32.5) == (95 + 100) * 0.5 - 10  # counts down between events
    record.status = "finished"
    assert record.eta() is None


def test_after_an_epoch_the_eta_is_the_mean_epoch_time():
    record = TrainingRecord("learner")
    record.apply(batch("learner", 1, 2, batches=2, epochs=10, seconds=1.0), now=1.0)
    assert record.eta(now=1.0) is None
    record.apply(epoch("learner", 1, epochs=10, seconds=6.0), now=6.0)  # compiling made it slow
    assert record.eta(now=6.0) == 9 * 6.0  # one epoch known: its time
    record.apply(epoch("learner", 2, epochs=10, seconds=2.0), now=8.0)
    record.apply(epoch("learner", 3, epochs=10, seconds=4.0), now=12.0)
    assert record.progress.seconds_per_epoch() == 3.0  # the first epoch is left out once others exist
    assert record.eta(now=12.0) == 7 * 3.0
    record.apply(batch("learner", 4, 1, batches=2, epochs=10, seconds=1.0), now=13.0)
    assert record.eta(now=13.0) == 7 * 3.0 - 1.0


def test_monitor_draws_one_point_per_epoch_and_batches_between(qtbot):
    monitor = LearningMonitor()
    qtbot.addWidget(monitor)
    started = []
    monitor.training_started.connect(started.append)
    monitor.handle_event(status("learner", "running"))
    monitor.handle_event({"event": "device", "node": "learner", "device": "GPU:0",
                          "description": "NVIDIA H100"})
    for e in (1, 2, 3):
        for b in (2, 4):
            monitor.handle_event(batch("learner", e, b, loss=1.0 / e, accuracy=0.3 * e))
        monitor.handle_event(epoch("learner", e, loss=1.0 / e, accuracy=0.3 * e, val_loss=1.2 / e))
    assert started == ["learner"]
    assert monitor.epoch_points("loss") == [(1.0, 1.0), (2.0, 0.5), (3.0, 1 / 3)]
    assert [x for x, _ in monitor.epoch_points("val_loss")] == [1.0, 2.0, 3.0]
    assert [x for x, _ in monitor.plots.points("loss", "batch")] == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    assert monitor.plots.tabs.tabText(0) == "loss"
    assert monitor.device.text() == "Device: GPU:0 (NVIDIA H100)"
    assert monitor.epoch_bar.format() == "3 / 3" and monitor.batch_bar.format() == "4 / 4"
    assert "2.00 s per epoch" in monitor.timing.text()
    monitor.handle_event(status("learner", "executed"))
    assert monitor.record().status == "finished" and not monitor.stop_button.isEnabled()


def test_stop_button_asks_once_and_the_record_ends_stopped(qtbot):
    monitor = LearningMonitor()
    qtbot.addWidget(monitor)
    asked = []
    monitor.stop_requested.connect(asked.append)
    monitor.handle_event(batch("learner_2", 1, 1, loss=1.0))
    assert monitor.stop_button.isEnabled()
    qtbot.mouseClick(monitor.stop_button, Qt.LeftButton)
    assert asked == ["learner_2"] and not monitor.stop_button.isEnabled()
    assert "stopping" in monitor.status.text()
    monitor.handle_event(status("learner_2", "executed"))
    assert monitor.record().status == "stopped"
    assert "stopped early" in monitor.status.text()


def test_a_new_run_starts_fresh_curves_and_a_crash_ends_the_record(qtbot):
    monitor = LearningMonitor()
    qtbot.addWidget(monitor)
    monitor.handle_event(epoch("learner", 1, loss=1.0))
    monitor.handle_event(status("learner", "executed"))
    monitor.handle_event(status("learner", "running"))
    monitor.handle_event(epoch("learner", 1, loss=0.7))
    assert monitor.epoch_points("loss") == [(1.0, 0.7)]
    monitor.run_ended()
    assert monitor.record().status == "failed"


def test_a_cancelled_run_says_cancelled_not_failed(qtbot):
    """Cancel before the learner reported its end (still tracing, or the child was killed
    after the grace time): the run's outcome decides, not a guess."""
    monitor = LearningMonitor()
    qtbot.addWidget(monitor)
    monitor.handle_event(status("learner", "running"))
    monitor.handle_event(batch("learner", 1, 1, loss=1.0))
    monitor.run_ended("cancelled")
    assert monitor.record().status == "cancelled"
    assert monitor.status.text() == "learner: cancelled" and not monitor.stop_button.isEnabled()
    monitor.handle_event(status("learner", "running"))
    monitor.handle_event(batch("learner", 1, 1, loss=1.0))
    monitor.handle_event(status("learner", "cancelled"))  # the runtime said so itself
    monitor.run_ended("cancelled")
    assert monitor.status.text() == "learner: cancelled"


def test_stored_history_and_learner_choice(qtbot):
    monitor = LearningMonitor()
    qtbot.addWidget(monitor)
    monitor.load_history("old", [(1, {"loss": 0.9, "accuracy": 0.5}), (2, {"loss": 0.4, "accuracy": 0.8})])
    assert monitor.epoch_points("accuracy") == [(1.0, 0.5), (2.0, 0.8)]
    assert "earlier run" in monitor.status.text()
    monitor.handle_event(epoch("new", 1, loss=2.0))
    assert monitor.current == "new"
    monitor.learner.setCurrentText("old")
    assert monitor.epoch_points("loss") == [(1.0, 0.9), (2.0, 0.4)]


def test_log_scale_and_smoothing_change_what_is_drawn(qtbot):
    monitor = LearningMonitor()
    qtbot.addWidget(monitor)
    for e, loss in enumerate([1.0, 0.0, 0.5], 1):
        monitor.handle_event(epoch("learner", e, loss=loss))
    monitor.plots.log_scale.setChecked(True)
    assert [x for x, _ in monitor.epoch_points("loss")] == [1.0, 3.0]  # zero has no logarithm
    monitor.plots.log_scale.setChecked(False)
    monitor.plots.smoothing.setValue(50)
    assert monitor.epoch_points("loss")[1][1] == smooth([1.0, 0.0, 0.5], 0.5)[1]
    assert 0.0 < monitor.epoch_points("loss")[1][1] < 1.0


def test_log_pane_lines_name_the_node(qtbot):
    pane = LogPane()
    qtbot.addWidget(pane)
    for item in (status("learner", "running"),
                 {"event": "warning", "node": "reader", "message": "3 rows had no label"},
                 {"event": "error", "node": "scorer", "message": "node scorer: truth_column: no column x"},
                 {**status("reader", "executed"), "cached": True},
                 batch("learner", 1, 1, loss=1.0)):
        pane.add_event(item)
    assert [line[9:] for line in pane.lines()] == [
        "learner: running", "reader: warning: 3 rows had no label",
        "node scorer: truth_column: no column x", "reader: executed (unchanged, output reused)"]
    assert describe(epoch("learner", 2, loss=0.25, seconds=0.5)) == (
        "info", "learner: epoch 2/3: loss 0.25 (0.50 s)")


def test_log_pane_shows_what_a_writer_wrote_once(qtbot):
    """A writer's one output event is one line with the path; stored port values are
    the run directory's business, shown in grey."""
    pane = LogPane()
    qtbot.addWidget(pane)
    pane.add_event({"event": "output", "node": "writer", "port": "model", "path": "/out/m", "format": "keras"})
    pane.add_event({"event": "output", "node": "learner", "port": "model", "path": "/run/m.keras",
                    "stored": True})
    assert [line[9:] for line in pane.lines()] == ["writer: wrote /out/m", "learner: stored model output"]
