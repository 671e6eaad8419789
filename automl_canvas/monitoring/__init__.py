"""Monitoring and the model flywheel: prediction log, true outcomes, drift and quality checks, alerts, retraining.

- ``log``: the prediction log (batched writer for the API, direct writes for batch scoring).
- ``feedback``: true outcomes joined to logged predictions; prediction records pushed by outside serving.
- ``drift`` / ``quality``: the measurements (PSI + a distribution test per feature; live vs holdout metric).
- ``checks``: one stored check with its alerts; ``service``: on-demand checks, the schedule, health and history.
- ``retrain``: a new version from the original data plus the labelled feedback, shared for review.
"""
