"""One router per resource; ``ROUTERS`` lists (router, under /api/v1?)."""

from . import (
               artifacts,
               datasets,
               deployments,
               events,
               evidence,
               feasibility,
               health,
               jobs,
               me,
               monitoring,
               predict,
               projects,
               review,
               versions,
               webhooks,
)

__all__ = ["ROUTERS"]

ROUTERS = [(health.router, False)] + [(m.router, True) for m in (
    me, projects, datasets, jobs, versions, evidence, review, artifacts, deployments, events, webhooks, predict, feasibility, monitoring)]
