"""From a ResolvedSession to the ordered objects a session creates (pure: no cluster, no clock)."""
