"""Evaluation: gold sets, the BEIR-format harness, metrics and the report (`quarry eval`)."""
