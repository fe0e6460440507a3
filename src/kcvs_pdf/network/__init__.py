"""Turn annex URLs and web links into files and verdicts: the only modules that use the network."""
