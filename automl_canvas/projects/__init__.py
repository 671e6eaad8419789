"""Projects: the business question a set of datasets and models answer."""

from .service import create_project, get_or_create_project, get_project, list_projects

__all__ = ["create_project", "get_or_create_project", "get_project", "list_projects"]
