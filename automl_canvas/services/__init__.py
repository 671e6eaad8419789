"""Use cases that give a pure-ML package its users, storage and queue (``training``: check and queue a request).

A workflow: the pure-ML packages below it (``training``, ``datasets``…) never import it.
"""
