"""Turn command-line options into the tool's commands, and outcomes into messages and exit codes.

Only this package maps outcomes to exit codes: 0 success, 1 problems in the sources or the build,
2 wrong command-line use (click), 130 interrupted. Each group of commands has its module, imported
only when one of its commands runs (see common.LazyGroup).
"""

from .common import main

__all__ = ["main"]
