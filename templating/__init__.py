"""Go text/template support: parser (goparse), engine (engine.render / Engine), render context (context)."""
