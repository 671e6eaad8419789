"""Who may do what: every permission decision of the product, in one module.

:func:`require` (and :func:`allowed`, which answers the same question without
raising) checks, in order:

1. :data:`POLICY`, the role table: which roles may ever perform an action.
2. For an action on one object (a project, a dataset, a model version, a job),
   :data:`RULES`: whether the actor may *see* that object at all - if not, the
   answer is :class:`NotFoundError` with the same message as a missing id, so a
   non-member is never told that a project exists - and then the action's
   named predicate below (project role, maker-checker, who shared it...).

Who sees what (:func:`sees`): the members of a project (owner, editor, viewer)
and every admin see the project and everything in it; a scientist sees what has
been shared for review (the version, the versions built from it, the dataset it
was trained on and its project), so the review queue spans projects; a deployer
sees released versions.  Deployment-side actions (``release`` scope) are not
project-scoped for deployers: their rules are about the version's state.

The objects are small read-only views built from the database by
:mod:`automl_canvas.auth.resources` (they answer ``project``, ``member_role``,
``reviewed``, ``released``, ``missing``, ``label``, ``details`` and their own fields), so
this module holds the rules and nothing else.  Services call ``require`` first;
doors never decide permissions themselves: the apps render the actions
:func:`automl_canvas.review.available_actions` returns.  Every action here is
exercised by tests/governance/test_authorisation_matrix.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import NotFoundError, PermissionDeniedError

__all__ = ["EDITING_ROLES", "HINTS", "POLICY", "RELEASED_EVER", "RELEASED_STATES", "RULES", "Rule", "allowed",
           "project_role", "refusal", "require", "sees", "visible"]

_ALL = frozenset({"analyst", "scientist", "deployer", "admin"})
_BUILDERS = frozenset({"analyst", "scientist"})

#: States whose artifact counts as released (what deployers may fetch and admission checks accept).
RELEASED_STATES = ("approved", "deployed")
#: States of versions that are or were released (revoked and retired ones were approved first): what deployers see.
RELEASED_EVER = ("approved", "deployed", "retired", "revoked")
#: Project roles that may change a project's contents (upload, train, set inputs, comment, share).
EDITING_ROLES = ("editor", "owner")

#: action -> roles allowed to perform it
POLICY: dict[str, frozenset[str]] = {
    "project.create": frozenset({"analyst", "scientist", "admin"}),
    "project.read": _ALL,
    "project.policy.set": frozenset({"scientist", "admin"}),
    #: who is in a project (any member, and admins).
    "project.members.read": frozenset({"analyst", "scientist", "admin"}),
    #: add, change and remove members (the project's owners, and admins everywhere).
    "project.members.manage": frozenset({"analyst", "scientist", "admin"}),
    "dataset.ingest": _BUILDERS,
    "dataset.read": frozenset({"analyst", "scientist", "admin"}),
    "model.train": _BUILDERS,
    "model.read": _ALL,
    "model.predict": _BUILDERS,
    #: predictions from an approved or deployed version (the approval API's serving door).
    "model.predict_approved": frozenset({"analyst", "scientist", "deployer"}),
    "model.download": frozenset({"scientist", "deployer", "admin"}),
    "model.reproduce": _BUILDERS,
    #: choose a binary version's cut-off (before it is shared; registry/operating_point.py).
    "model.operating_point": _BUILDERS,
    "evidence.compute": _BUILDERS,
    "evidence.read": _ALL,
    "model.mitigate": frozenset({"scientist"}),
    "feasibility.inputs": frozenset({"analyst", "scientist", "admin"}),
    "feasibility.run": frozenset({"analyst", "scientist"}),
    "feasibility.read": frozenset({"analyst", "scientist", "admin"}),
    "portfolio.read": frozenset({"analyst", "scientist", "admin"}),
    "job.read": frozenset({"analyst", "scientist", "admin"}),
    "job.cancel": frozenset({"analyst", "scientist", "admin"}),
    #: the whole queue with every worker (host and process) and every user's jobs.
    "job.queue.read": frozenset({"admin"}),
    "user.manage": frozenset({"admin"}),
    "token.own": _ALL,
    # review workflow (automl_canvas/review)
    "review.share": _BUILDERS,
    "review.withdraw": _BUILDERS,
    "review.claim": frozenset({"scientist"}),
    #: reject or request changes (the claim holder; automl_canvas/review/claims.py).
    "review.decide": frozenset({"scientist"}),
    #: approve: review.decide plus maker-checker.
    "review.approve": frozenset({"scientist"}),
    "review.revoke": frozenset({"scientist", "admin"}),
    "review.comment": _BUILDERS,
    "review.read": _ALL,
    "review.reproduce": frozenset({"scientist"}),
    # release (deployment records)
    "deployment.record": frozenset({"deployer", "admin"}),
    "deployment.rollback": frozenset({"deployer", "admin"}),
    "deployment.read": _ALL,
    #: admission checks ("is this digest approved?") and the event feed: read-only, any signed-in role.
    "approval.check": _ALL,
    "events.read": _ALL,
    #: webhook subscriptions (URL, event types, secret) for deployment tooling: one's own.
    "webhook.manage": frozenset({"deployer", "admin"}),
    #: everyone's subscriptions (list and delete).
    "webhook.manage_all": frozenset({"admin"}),
    "version.retire": frozenset({"deployer", "scientist", "admin"}),
    # monitoring (automl_canvas/monitoring): health is for everyone; outcomes come from the business
    # (analysts, or deployment tooling); pushed prediction records come from tooling that serves a model itself.
    "monitoring.read": _ALL,
    "monitoring.feedback": frozenset({"analyst", "scientist", "deployer"}),
    "monitoring.push": frozenset({"scientist", "deployer"}),
    "monitoring.check": frozenset({"scientist", "deployer", "admin"}),
    "monitoring.retrain": _BUILDERS,
    # audit
    "audit.read": frozenset({"scientist", "admin"}),
    "audit.verify": frozenset({"admin", "scientist"}),
}

#: What to do instead, added to a role refusal where there is something better to say.
HINTS: dict[str, str] = {
    "job.queue.read": "`automl-canvas jobs` lists your jobs.",
    "webhook.manage_all": "Your own subscriptions are listed without it.",
}


# -- the predicates: one place for each rule ----------------------------------------------------------------

def project_role(actor, resource) -> str | None:
    """The actor's role in the resource's project: owner, editor, viewer or None; an admin counts as owner everywhere."""
    if "admin" in actor.role_set:
        return "owner"
    project = resource.project
    return project.member_role if project is not None else None


def sees(actor, resource) -> bool:
    """Whether ``actor`` may know the resource exists (else: NotFoundError, the message of a missing id).

    Members and admins see their projects and everything in them; scientists see what has been shared
    for review (``reviewed``); deployers see released versions (``released``).
    """
    roles = actor.role_set
    if "admin" in roles:
        return True
    if "scientist" in roles and resource.reviewed:
        return True
    if "deployer" in roles and resource.released:
        return True
    return resource.project is None or project_role(actor, resource) is not None


def _where(actor, resource) -> str:
    role = project_role(actor, resource)
    name = actor.username
    return (f"{name} is {'an' if role == 'owner' else 'a'} {role} of project '{resource.project.name}'" if role else
            f"{name} is not a member of project '{resource.project.name}'")


def _needs_project_role(needed: tuple[str, ...]) -> Callable[[Any, Any, str], str | None]:
    def check(actor, resource, action: str) -> str | None:
        if project_role(actor, resource) in needed:
            return None
        return (f"{actor.username} may not perform '{action}' on {resource.label}: it needs the project role "
                f"{' or '.join(needed)} ({_where(actor, resource)}).")
    check.__name__ = f"project_{'_or_'.join(needed)}"
    return check


#: editor or owner of the project: upload, train, set business inputs, share, operate its cut-off.
project_editor = _needs_project_role(EDITING_ROLES)
#: owner of the project: manage its members.
project_owner = _needs_project_role(("owner",))
#: any member: see who else is in.
project_member = _needs_project_role(("viewer", "editor", "owner"))


def editor_or_reviewer(actor, resource, action: str) -> str | None:
    """Project editors and owners; and scientists, who review (and comment, reproduce, explain) what they see."""
    if "scientist" in actor.role_set or project_role(actor, resource) in EDITING_ROLES:
        return None
    return (f"{actor.username} may not perform '{action}' on {resource.label}: it needs the project role editor or "
            f"owner, or a scientist reviewing it ({_where(actor, resource)}).")


def builder_of(actor, version, action: str) -> str | None:
    """Share a version: editors and owners of its project; and a scientist who built a candidate from a version
    shared for review (a mitigated candidate made during the review)."""
    if project_role(actor, version) in EDITING_ROLES:
        return None
    if "scientist" in actor.role_set and version.reviewed and version.created_by_id == actor.id:
        return None
    return (f"{actor.username} may share only models of their own projects (as an editor or owner); version "
            f"{version.id} is not one ({_where(actor, version)}).")


def sharer_of(actor, version, action: str) -> str | None:
    """Withdraw a shared version: only who shared it."""
    if version.shared_by_id == actor.id:
        return None
    return f"Only the person who shared version {version.id} can withdraw it."


def not_maker_of_reviewable(actor, version, action: str) -> str | None:
    """Claim: nobody reviews a version they built or shared (in other states the state table decides)."""
    if version.status in ("pending_review", "in_review") and actor.id in version.makers:
        return f"{actor.username} built or shared version {version.id}, so another scientist must review it."
    return None


def not_maker(actor, version, action: str) -> str | None:
    """Approve: maker-checker - whoever trained, shared or built the parent of a version never approves it."""
    if actor.id in version.makers:
        return (f"{actor.username} built or shared version {version.id} and can never approve it (maker-checker); "
                "another scientist must.")
    return None


def serves(actor, version, action: str) -> str | None:
    """Predict: only approved or deployed versions serve, except to scientists testing one."""
    if version.status in RELEASED_STATES or "scientist" in actor.role_set:
        return None
    return (f"Version {version.id} is {version.status}; only approved or deployed versions serve predictions "
            "(scientists may test any version).")


def downloadable(actor, version, action: str) -> str | None:
    """Download an artifact: deployers only released ones; scientists and admins any (e.g. to reproduce it)."""
    if version.status in RELEASED_STATES or actor.role_set & {"scientist", "admin"}:
        return None
    return f"Version {version.id} is {version.status}; deployers may download only approved or deployed versions."


def feedback_giver(actor, version, action: str) -> str | None:
    """True outcomes: from the business (the project's editors), from reviewers, or from deployment tooling."""
    if actor.role_set & {"deployer", "scientist"}:
        return None
    return project_editor(actor, version, action)


def job_owner_or_operator(actor, job, action: str) -> str | None:
    """Analysts see and cancel their own jobs; scientists and admins any job (they operate the queue)."""
    if actor.role_set & {"scientist", "admin"} or job.created_by_id == actor.id:
        return None
    return f"Job {job.id} belongs to someone else."


@dataclass(frozen=True)
class Rule:
    """What an action on one object checks after the role table.

    ``scope``: who may see the object at all (others get NotFoundError): ``"project"`` - :func:`sees`;
    ``"release"`` - as project, and every deployer (deployment tooling is not project-scoped);
    ``"queue"`` - as project, and the queue's operators (scientists, admins); ``None`` - nobody is hidden from.
    ``check``: the named predicate (None: seeing it is enough); it returns None or the sentence that refuses.
    """

    scope: str | None
    check: Callable[[Any, Any, str], str | None] | None = None


#: action -> its rule on the object it acts on (an action without an entry acts on no object).
RULES: dict[str, Rule] = {
    "project.read": Rule("project"),
    "project.members.read": Rule("project", project_member),
    "project.members.manage": Rule("project", project_owner),
    "dataset.ingest": Rule("project", project_editor),
    "dataset.read": Rule("project"),
    "model.train": Rule("project", project_editor),
    "model.read": Rule("project"),
    "model.predict": Rule("project"),
    "model.predict_approved": Rule("release", serves),
    "model.download": Rule("release", downloadable),
    "model.reproduce": Rule("project", editor_or_reviewer),
    "model.operating_point": Rule("project", project_editor),
    "evidence.compute": Rule("project", editor_or_reviewer),
    "evidence.read": Rule("project"),
    "model.mitigate": Rule("project"),
    "feasibility.inputs": Rule("project", project_editor),
    "feasibility.run": Rule("project", project_editor),
    "feasibility.read": Rule("project"),
    "job.read": Rule("queue", job_owner_or_operator),
    "job.cancel": Rule("queue", job_owner_or_operator),
    "review.share": Rule("project", builder_of),
    "review.withdraw": Rule("project", sharer_of),
    "review.claim": Rule("project", not_maker_of_reviewable),
    "review.decide": Rule("project"),
    "review.approve": Rule("project", not_maker),
    "review.revoke": Rule("project"),
    "review.comment": Rule("project", editor_or_reviewer),
    "review.read": Rule("project"),
    "review.reproduce": Rule("project"),
    "deployment.record": Rule("release"),
    "deployment.rollback": Rule("release"),
    "deployment.read": Rule("release"),
    "approval.check": Rule("release"),
    "events.read": Rule("release"),
    "version.retire": Rule("release"),
    "monitoring.read": Rule("project"),
    "monitoring.feedback": Rule("release", feedback_giver),
    "monitoring.push": Rule("release"),
    "monitoring.check": Rule("release"),
    "monitoring.retrain": Rule("project", project_editor),
}


# -- the checks ---------------------------------------------------------------------------------------------

def _roles_allow(actor, action: str) -> bool:
    roles = POLICY.get(action)
    if roles is None:
        raise KeyError(f"unknown action {action!r}")
    return bool(getattr(actor, "is_active", True)) and bool(actor.role_set & roles)


def visible(actor, action: str, resource) -> bool:
    """Whether ``actor`` may know that ``resource`` exists when performing ``action`` (see :class:`Rule`)."""
    rule = RULES.get(action)
    scope = rule.scope if rule is not None else None
    if scope is None:
        return True
    if scope == "release" and actor.role_set & {"deployer", "admin"}:
        return True
    if scope == "queue" and actor.role_set & {"scientist", "admin"}:
        return True
    return sees(actor, resource)


def refusal(actor, action: str, resource: Any = None) -> Exception | None:
    """Why ``actor`` may not perform ``action`` (on ``resource``): the error :func:`require` would raise, or None."""
    if actor is None:
        return PermissionDeniedError(f"Sign in first: '{action}' needs a signed-in user.")
    if not getattr(actor, "is_active", True):
        return PermissionDeniedError(f"The account '{actor.username}' is disabled.")
    if not _roles_allow(actor, action):
        hint = HINTS.get(action)
        return PermissionDeniedError(
            f"{actor.username} may not perform '{action}'; it needs one of the roles: {', '.join(sorted(POLICY[action]))}."
            + (f" {hint}" if hint else ""))
    if resource is None:
        return None
    if not visible(actor, action, resource):
        return NotFoundError(resource.missing)
    rule = RULES.get(action)
    reason = rule.check(actor, resource, action) if rule is not None and rule.check is not None else None
    if reason:
        return PermissionDeniedError(reason, details={"action": action, **getattr(resource, "details", {})})
    return None


def allowed(actor, action: str, resource: Any = None) -> bool:
    """What :func:`require` would decide, as a yes or no (an unknown action is a KeyError: a typo, not a no)."""
    if action not in POLICY:
        raise KeyError(f"unknown action {action!r}")
    return refusal(actor, action, resource) is None


def require(actor, action: str, resource: Any = None) -> None:
    """Raise PermissionDeniedError (naming the user, the action and what it needs), or NotFoundError for an object
    the actor may not see, unless ``actor`` may perform ``action`` (on ``resource``, when given)."""
    refused = refusal(actor, action, resource)
    if refused is not None:
        raise refused
