"""Projects: the business question a set of datasets and models answer, and who belongs to it."""

from .current import current_project, set_current_project
from .members import add_member, can_manage_members, list_members, remove_member
from .service import create_project, find_project, get_or_create_project, get_project, list_projects

__all__ = ["add_member", "can_manage_members", "create_project", "current_project", "find_project", "get_or_create_project",
           "get_project", "list_members", "list_projects", "remove_member", "set_current_project"]
