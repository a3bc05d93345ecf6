"""Everything about reaching Temporal, shared by the API, the worker and `dsctl dev`: connection settings
(Temporal's own environment variable names), `connect()`, and the custom search attributes."""
