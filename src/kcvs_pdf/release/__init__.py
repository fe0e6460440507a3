"""Turn the final editions into what the web team uploads: folder, landing page, manifest, budget."""
