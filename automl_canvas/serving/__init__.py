"""Serving: records in, predictions out (the frame path, the hot path, batch files), logged for monitoring.

A workflow above the registry (the model), evidence (SHAP contributions on request) and the prediction log,
so none of those imports it.
"""
