"""Turn the report's annex links into annex files that are safe to bundle: inspected, cleaned, bounded."""
