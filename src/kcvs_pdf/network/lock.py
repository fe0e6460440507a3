"""Turn lock entries into the text of `sources/annexes.lock` and back, and files into checksums."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Diagnostics
from ..sources.fields import FieldReader
from ..sources.yamlsource import load_yaml

LOCK_FILE = "annexes.lock"
_YAML_SPECIAL = re.compile("[\x7f-\x9f\u2028\u2029\ufeff]")
_LOCK_HEADER = """\
# The annex PDFs in annexes/, as `kcvs-pdf fetch` downloaded them: where each came from,
# its size and its SHA-256 checksum. Written by `kcvs-pdf fetch`, compared with the folder by
# `kcvs-pdf fetch --check`. Review changes like any other; do not edit by hand.
"""


@dataclass(frozen=True)
class LockEntry:
    """One downloaded annex as recorded in the lock file."""

    file: str
    url: str
    sha256: str
    bytes: int
    etag: str | None = None
    """The server's ETag header, when it sent one."""
    last_modified: str | None = None
    """The server's Last-Modified header, when it sent one."""
    line: int = field(default=0, compare=False)
    """Line of the entry in the lock file, for messages; 0 for entries not read from a file."""
    column: int = field(default=0, compare=False)


def matches(path: Path, entry: LockEntry) -> bool:
    """Return whether path holds exactly the bytes the lock entry records."""
    return path.is_file() and path.stat().st_size == entry.bytes and sha256_of(path) == entry.sha256


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def read_lock(path: Path, diagnostics: Diagnostics) -> tuple[LockEntry, ...]:
    """Return the entries of the lock file (none when it does not exist); record its problems."""
    if not path.is_file():
        return ()
    reader = FieldReader(path, diagnostics, "lock")
    fields = reader.mapping(load_yaml(path.read_text(encoding="utf-8"), path, diagnostics),
                            LOCK_FILE, required=("annexes",))
    entries = []
    for item in reader.items(fields, "annexes"):
        entry = reader.mapping(item, "lock entry", required=("file", "url", "sha256", "bytes"),
                               optional=("etag", "last_modified"), at=(item.line, item.column))
        # Raw values: the reader's text() folds runs of spaces, which file names may contain.
        values = {name: str(entry[name].value) for name in entry
                  if name != "bytes" and reader.text(entry, name, printed=False)}
        size = reader.integer(entry, "bytes")
        if size is not None and {"file", "url", "sha256"} <= values.keys():
            entries.append(LockEntry(values["file"], values["url"], values["sha256"], size,
                                     values.get("etag"), values.get("last_modified"),
                                     line=item.line, column=item.column))
    return tuple(entries)


def _quoted(value: str | int) -> str:
    """Return value as YAML that reads back exactly: a JSON string is double-quoted YAML.

    Characters YAML reads as line breaks or drops are escaped as well.
    """
    return _YAML_SPECIAL.sub(lambda match: f"\\u{ord(match.group()):04x}",
                             json.dumps(value, ensure_ascii=False))


def write_lock(path: Path, entries: tuple[LockEntry, ...]) -> None:
    """Write the lock sorted by file name, atomically, and only when its text changes."""
    lines = [_LOCK_HEADER + ("annexes:" if entries else "annexes: []")]
    for entry in sorted(entries, key=lambda e: (e.file, e.url)):
        values = {"file": entry.file, "url": entry.url, "sha256": entry.sha256, "bytes": entry.bytes,
                  "etag": entry.etag, "last_modified": entry.last_modified}
        written = [f"{name}: {_quoted(value)}" for name, value in values.items() if value is not None]
        lines.append("  - " + "\n    ".join(written))
    text = "\n".join(lines) + "\n"
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    part = path.parent / f".{path.name}.{os.getpid()}.part"
    try:
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
