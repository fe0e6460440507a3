"""Turn built PDFs back into what reviewers need: the changes between two, and their comments."""
