"""Our wrapper over the official `kubernetes` client: the one place that knows its types and exceptions
(used by the worker's activities and by the API's cluster health checks)."""
