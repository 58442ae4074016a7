"""The Learning Monitor shows the strategy and the number of replicas of a learner that
trains on several devices, where it shows the device."""

from nodeflow.gui.monitor import LearningMonitor


def test_device_line_names_the_strategy_and_replicas(qtbot):
    monitor = LearningMonitor()
    qtbot.addWidget(monitor)
    monitor.handle_event({"event": "node_status", "node": "learner", "status": "running"})
    monitor.handle_event({"event": "device", "node": "learner", "device": "GPU:0,GPU:1",
                          "description": "NVIDIA H200", "strategy": "MirroredStrategy", "replicas": 2})
    assert monitor.device.text() == "Device: GPU:0,GPU:1 (NVIDIA H200) · MirroredStrategy, 2 replicas"
    monitor.handle_event({"event": "node_status", "node": "other", "status": "running"})
    monitor.handle_event({"event": "device", "node": "other", "device": "CPU:0", "description": "x86_64",
                          "strategy": None, "replicas": 1})
    monitor.show_learner("other")
    assert monitor.device.text() == "Device: CPU:0 (x86_64)"


def test_the_log_pane_says_how_many_replicas_train():
    from nodeflow.gui.log_pane import describe

    assert describe({"event": "device", "node": "learner", "device": "CPU:0,CPU:1", "description": "x86_64",
                     "strategy": "MirroredStrategy", "replicas": 2}) \
        == ("info", "learner: training on CPU:0,CPU:1 (x86_64) · MirroredStrategy, 2 replicas")
