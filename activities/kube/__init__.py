"""Our wrapper over the official `kubernetes` client: one place that knows its types and exceptions."""
