"""Datasets: parse uploaded files, validate them and profile their columns."""
