"""The batch job over a folder: planning and resume, parts, the run's manifest."""
