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

#: Predict first: the router tries routes in order, and one-record predictions are most of the traffic (with 60
#: routes before it, matching the path cost more than scoring a LightGBM row). No two routers share a path.
ROUTERS = [(predict.router, True), (health.router, False)] + [(m.router, True) for m in (
    me, projects, datasets, jobs, versions, evidence, review, artifacts, deployments, events, webhooks, feasibility, monitoring)]
