"""Learning nodes: network learner, executor, scorer."""
