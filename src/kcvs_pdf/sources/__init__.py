"""Turn the `sources/` folder into a validated Report: YAML fields, Markdown bodies, approvals."""
