"""Shared pieces of the learning deployments: WSGI base classes, urlmap, HTTP and state."""
