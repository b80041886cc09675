"""Evaluation: problems, runners, metrics and the external datasets they use."""
