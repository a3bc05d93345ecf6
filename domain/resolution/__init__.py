"""Resolution and policy: template + binding + request -> one immutable ResolvedSession (pure, no I/O)."""
