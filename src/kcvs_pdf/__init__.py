"""Build the annual report of the Kenniscentrum Vlaamse Steden as one navigable PDF."""

__version__ = "0.1.0"
