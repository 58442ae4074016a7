"""Hyperparameter sweeps: many headless runs of one workflow, searched by Optuna.

``nodeflow sweep`` (:mod:`nodeflow.sweep.command`) parses the parameter spaces
(:mod:`.space`), validates every value they can produce, then asks an Optuna study
(:mod:`.study`) for trials and runs each as an ordinary ``nodeflow run`` child with
``--set`` overrides (:mod:`.trial`), on this machine or as Ray tasks
(:mod:`.executors`); the metric is read from the trial's run folder (:mod:`.metric`)
and every trial lands in ``trials.csv`` (:mod:`.table`).  No Qt, and no TensorFlow in
the sweep process: only its children train.
"""
