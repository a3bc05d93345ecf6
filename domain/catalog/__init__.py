"""Catalog: loading, validating and watching the admin resources (templates, bindings, clusters)."""
