"""Check the system libraries WeasyPrint needs and say how to install what is missing."""

import ctypes
import ctypes.util
import sys

PANGO_MINIMUM = (1, 44)
HINT = ("Install it with your package manager, e.g. on Debian/Ubuntu:\n"
        "    sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0\n"
        "on macOS: brew install pango. See "
        "https://doc.courtbouillon.org/weasyprint/stable/first_steps.html")


def pango_version():
    name = ctypes.util.find_library("pango-1.0") or "libpango-1.0.so.0"
    try:
        pango = ctypes.CDLL(name)
    except OSError:
        return None
    pango.pango_version_string.restype = ctypes.c_char_p
    return tuple(int(part) for part in pango.pango_version_string().decode().split(".")[:2])


def main() -> int:
    version = pango_version()
    if version is None:
        print(f"kcvs-pdf needs Pango >= {'.'.join(map(str, PANGO_MINIMUM))}, which is not installed.\n{HINT}",
              file=sys.stderr)
        return 1
    if version < PANGO_MINIMUM:
        print(f"kcvs-pdf needs Pango >= {'.'.join(map(str, PANGO_MINIMUM))}; this machine has "
              f"{'.'.join(map(str, version))}.\n{HINT}", file=sys.stderr)
        return 1
    if not ctypes.util.find_library("harfbuzz-subset"):
        print("note: libharfbuzz-subset is missing; fonts will be subset with fontTools instead, "
              "so PDF bytes differ from machines that have it.\n" + HINT, file=sys.stderr)
        return 3
    return 0


# Exit codes: 0 all present, 1 Pango missing or too old (WeasyPrint cannot run),
# 3 only HarfBuzz-Subset missing (builds work, bytes differ from machines that have it).
if __name__ == "__main__":
    sys.exit(main())
