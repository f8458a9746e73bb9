"""Compositions of stages: dataset-level jobs and the end-to-end demo."""
