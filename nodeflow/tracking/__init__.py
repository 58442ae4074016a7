"""Run tracking: every run recorded in MLflow, and read back for comparison.

:mod:`.store` decides where runs are recorded (a SQLite database in the workflow's
``runs`` folder unless told otherwise), :mod:`.record` what a run's record holds
(flattened parameters, metrics, the workflow fingerprint), :mod:`.tracker` records
a run from its event stream without slowing it down, and :mod:`.runs` reads the
records back for ``nodeflow runs`` and the editor's Runs view.

Neither Qt nor TensorFlow is imported here, and MLflow only when a run is recorded
or read, so the editor can read runs and ``nodeflow validate`` stays light.
"""
