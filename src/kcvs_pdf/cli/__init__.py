"""Turn command-line options into the tool's commands, and outcomes into messages and exit codes.

Only this package maps outcomes to exit codes: 0 success, 1 problems in the sources or the build,
2 wrong command-line use (click), 130 interrupted.
"""

from . import authoring, network, preview, release, review  # noqa: F401  (each module registers its commands on main)
from .common import main

__all__ = ["main"]
