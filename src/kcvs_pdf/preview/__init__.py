"""Turn saves in sources/ and layouts/ into a draft kept up to date in the browser: `kcvs-pdf preview`."""
