"""Model versions: immutable artifacts, lookups, predictions, reproduction."""
