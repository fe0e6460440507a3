"""Turn a Report into pages: labels, Dutch hyphenation, glyph coverage, HTML by the layout's templates, PDF by WeasyPrint."""
