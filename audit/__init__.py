"""The audit trail: one CloudEvents 1.0 event per user action, state change, resource deployed or removed, and
access the webhook allowed; written as JSON lines (a file or stdout) and optionally POSTed to sinks."""
