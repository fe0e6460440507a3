"""Show the draft in a browser while the sources are edited: `kcvs-pdf preview`."""
