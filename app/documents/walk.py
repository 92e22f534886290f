"""Which files an ingest reads, what each one's document is called, and whether one indexed before is gone.

App layer, the file-system edge of the ingest path (beside loaders.py, which reads one file): nothing found on
disk raises here. A folder that cannot be read, a broken link, a pipe named like a document are problems in the
report, and the rest of the batch goes on. A file's status is taken with os.stat, never Path.is_file/is_dir/exists:
on Python 3.11 those raise PermissionError for a path inside a folder that cannot be searched (chmod 000).
"""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from app.documents.file_bytes import GONE_ERRNOS
from app.documents.load_types import SUPPORTED_SUFFIXES, LoadProblem

_log = logging.getLogger(__name__)


_SHOWN_AS_ESCAPE = re.compile(r"\\(?=\\|[\udc80-\udcff]|x[89a-f][0-9a-f])|[\udc80-\udcff]")
"""What `display` rewrites in a name decoded with surrogateescape: a byte that is not UTF-8 (a lone surrogate), and
a backslash that would otherwise read as the start of an escape (before another backslash, a byte shown escaped,
or the text x80-xff)."""


def _shown(match: re.Match[str]) -> str:
    found = match[0]
    return "\\\\" if found == "\\" else f"\\x{ord(found) - 0xDC00:02x}"


def display(path: Path | str) -> str:
    """`path` as text that can be stored, hashed, printed and sent as JSON. A name whose bytes are not UTF-8 reaches
    Python with lone surrogates in it (PEP 383), which no UTF-8 encoder accepts; its bytes are shown as \\xNN
    escapes instead: readable, and one per byte, so two such names never become the same source (a replacement
    character would merge "caf\\xe9.md" and "caf\\xe8.md"). A backslash that would read as part of such an escape
    is doubled, so a name that holds the text "caf\\xe9.md" is not taken for the one with the byte 0xE9 either;
    any other name, a backslash in it or not, is shown as it is. `undisplay` reverses it exactly."""
    return _SHOWN_AS_ESCAPE.sub(_shown, os.fsencode(path).decode("utf-8", "surrogateescape"))


_ESCAPED = re.compile(rb"\\\\|\\x([89a-f][0-9a-f])")  # a doubled backslash, or an invalid UTF-8 byte: 0x80 and up


def undisplay(path: Path | str) -> Path:
    """The path on disk that `display` showed as `path`: its doubled backslashes halved and its \\xNN escapes turned
    back into the bytes they stand for (a name that is not UTF-8)."""
    return Path(os.fsdecode(_ESCAPED.sub(lambda m: bytes([int(m[1], 16)]) if m[1] else b"\\", os.fsencode(path))))


def located(path: Path) -> Path:
    """The absolute path of a file, the folders on the way resolved but not the file's own name: a link to a file
    is a document of its own, named after the link (and pruned once the link is removed), not after its target,
    which may lie outside every folder ingest prunes."""
    return path.parent.resolve() / path.name


def source_for(path: Path, root: Path | None) -> str:
    """The document name (source) of the file at `path`: relative to `root` (posix) when under it, else absolute.
    Never "." (`root` naming the file itself: the absolute path then)."""
    where = located(path)
    if root is not None:
        top = root.resolve()
        if where != top and where.is_relative_to(top):
            return display(where.relative_to(top).as_posix())
    return display(where.as_posix())


def _status(path: Path) -> os.stat_result | OSError:
    """os.stat of `path`, links followed, or the error that says why there is none."""
    try:
        return path.stat()
    except OSError as exc:
        return exc


def is_gone(path: Path) -> bool:
    """Whether `path` is known to hold no regular file now (missing, a broken link, a folder, a pipe). False when
    that cannot be told, e.g. a folder on the way became unreadable: what was indexed from it is kept."""
    status = _status(path)
    if isinstance(status, OSError):
        return status.errno in GONE_ERRNOS
    return not stat.S_ISREG(status.st_mode)


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def _target(link: Path) -> str:
    try:
        return display(os.readlink(link))
    except OSError as exc:  # changed while being looked at
        return f"(unreadable: {_reason(exc)})"


def _not_a_file(path: Path, status: os.stat_result | OSError) -> LoadProblem:
    """A folder entry named like a document that is not a regular file: said, not skipped in silence."""
    if isinstance(status, OSError) and status.errno not in GONE_ERRNOS:
        message = f"cannot read the file ({_reason(status)}); check its permissions."
    elif isinstance(status, OSError) and os.path.islink(path):
        target = _target(path)
        if status.errno == errno.ELOOP:
            message = f"a link to {target}, which leads back to itself; fix or remove the link."
        else:
            message = f"a link to {target}, which does not exist; fix or remove the link."
    else:
        message = "not a regular file (a pipe, socket or device); not read."
    return LoadProblem(source=display(path), kind="unreadable", message=message)


def _linked_folder(path: Path) -> LoadProblem:
    return LoadProblem(
        source=display(path),
        kind="unsupported",
        message=f"a link to the folder {_target(path)}; links to folders are not followed (they can lead "
        "outside the folder or back into it): ingest that folder itself.",
    )


def _leads_out(link: Path, folder: Path) -> bool:
    """Whether `link` is a link whose file (links followed to the end) lies outside `folder`."""
    return os.path.islink(link) and not Path(os.path.realpath(link)).is_relative_to(os.path.realpath(folder))


def _linked_out(link: Path, folder: Path, source: str) -> LoadProblem:
    """A link to a file outside the folder it is in: refused as a link to a folder is. Followed, it would index
    whatever file the link names (another user's notes, /etc/passwd) as part of the folder."""
    target = display(os.path.realpath(link))
    _log.warning("not reading %s: a link to %s, outside the folder %s", display(link), target, display(folder))
    return LoadProblem(
        source=source,
        kind="unsupported",
        message=f"a link to the file {target}, outside the folder; links that lead out of the folder are not "
        "followed: copy the file into the folder, or ingest that file itself.",
    )


def _unreadable_folder(path: Path, error: OSError) -> LoadProblem:
    return LoadProblem(
        source=display(path),
        kind="unreadable",
        message=f"cannot read this folder ({_reason(error)}): the documents in it were not read, and those indexed "
        "from it before are kept; check its permissions.",
    )


def _not_there(path: Path, error: OSError) -> LoadProblem:
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        message = "no such file or folder; check the path."
    else:
        message = f"cannot reach it ({_reason(error)}); check the path and its permissions."
    return LoadProblem(source=display(path), kind="unreadable", message=message)


@dataclass
class _Found:
    """What walking the given paths found; problems are kept with their path, to be listed in path order."""

    files: list[Path] = field(default_factory=list)
    problems: list[tuple[Path, LoadProblem]] = field(default_factory=list)
    others: Counter[str] = field(default_factory=Counter)
    linked_out: list[tuple[Path, Path]] = field(default_factory=list)
    """(link, folder): links to files outside the folder they were found in, refused."""
    bounds: dict[Path, Path] = field(default_factory=dict)
    """File (`located`) -> the folder a link in its place may lead into when it is read (`read_bytes(within=)`)."""

    def entry(self, path: Path, folder: Path) -> None:
        """One file of `folder`: a supported regular file is read, another file counted, a non-file named, a link
        leading out of the folder refused."""
        supported = path.suffix.lower() in SUPPORTED_SUFFIXES
        status = _status(path)
        if isinstance(status, OSError) or not stat.S_ISREG(status.st_mode):
            if supported:  # never opened: a pipe would block the read, a broken link has nothing to read
                self.problems.append((path, _not_a_file(path, status)))
        elif supported and _leads_out(path, folder):
            self.linked_out.append((path, folder))
        elif supported:
            self.files.append(path)
            self.bounds[located(path)] = Path(os.path.realpath(folder))
        else:
            self.others[path.suffix.lower() or "(no extension)"] += 1

    def merge(self, other: _Found) -> None:
        self.files.extend(other.files)
        self.problems.extend(other.problems)
        self.others.update(other.others)
        self.linked_out.extend(other.linked_out)
        self.bounds.update(other.bounds)


def _walk(folder: Path, bound: Path) -> _Found:
    """Every non-hidden file under `folder`, in path order; a folder that cannot be read is a problem, and the walk
    goes on. A link to a file outside `bound` (the folder, or the docs folder it is in) is refused."""
    found = _Found()

    def unreadable(error: OSError) -> None:
        where = Path(error.filename) if error.filename else folder
        found.problems.append((where, _unreadable_folder(where, error)))

    for top, dirnames, filenames in os.walk(folder, onerror=unreadable):
        here = Path(top)
        shown = [name for name in dirnames if not name.startswith(".")]  # hidden folders are not walked
        links = {name for name in shown if os.path.islink(here / name)}
        # os.walk does not follow a link to a folder: say so, or its documents vanish unmentioned
        found.problems.extend((here / name, _linked_folder(here / name)) for name in links)
        dirnames[:] = [name for name in shown if name not in links]
        for name in filenames:
            if not name.startswith("."):
                found.entry(here / name, bound)
    found.files.sort()
    found.linked_out.sort()
    found.problems.sort(key=lambda pair: pair[0])
    return found


def _unique(files: list[Path]) -> list[Path]:
    """Each file once, `located`: one named twice, or reached through a link too, is read under the name that is
    not a link (else the first)."""
    chosen: dict[Path, Path] = {}
    for path in map(located, files):
        target = path.resolve()
        if target not in chosen or (os.path.islink(chosen[target]) and not os.path.islink(path)):
            chosen[target] = path
    return list(chosen.values())


class Expansion(NamedTuple):
    """What `expand` found: the files to read, the folders walked, the problems met on the way, the files of
    other types by extension, and the links refused because they lead out of their folder (a problem each, named
    by its document's source, so ingest can remove what was indexed through the link before)."""

    files: list[Path]
    folders: list[Path]
    problems: list[LoadProblem]
    not_read: dict[str, int]
    linked_out: list[LoadProblem]
    bounds: dict[Path, Path]
    """Each file found in a folder (or named in `root`) -> the folder a link in its place may lead into when it is
    read: the walk checked the name, and it may be swapped for a link before it is read. A file named outside
    `root` has none (the user named it)."""


def expand(paths: Sequence[Path], *, root: Path | None = None) -> Expansion:
    """expand_paths, plus the non-hidden files of the folders that ingest does not read (not a supported type),
    counted by extension, so a folder of .docx or .html files is not indexed silently as if it were empty. One
    walk of each folder serves both. A link to a file is read only when its file lies in the folder given (in
    `root`, when that folder or the file named is in it)."""
    found = _Found()
    folders: list[Path] = []
    for path in paths:
        status = _status(path)
        if isinstance(status, OSError):
            found.problems.append((path, _not_there(path, status)))
        elif stat.S_ISDIR(status.st_mode):
            folders.append(path.resolve())
            inside_root = root is not None and path.resolve().is_relative_to(root.resolve())
            found.merge(_walk(path, root if root is not None and inside_root else path))
        elif root is not None and located(path).is_relative_to(root.resolve()) and _leads_out(path, root):
            found.linked_out.append((path, root))  # re-indexing one document must not read what the folder refuses
        else:  # a file named explicitly is kept whatever it is, so the loader can say why it is skipped
            found.files.append(path)
            if root is not None and located(path).is_relative_to(root.resolve()):
                found.bounds[located(path)] = root.resolve()
    problems = [problem for _, problem in found.problems]
    refused: dict[str, tuple[Path, Path]] = {}  # by source: a link in a folder given and named too is said once
    for link, folder in found.linked_out:
        refused.setdefault(source_for(link, root), (link, folder))
    linked_out = [_linked_out(link, folder, source) for source, (link, folder) in refused.items()]
    files = _unique(found.files)
    bounds = {file: found.bounds[file] for file in files if file in found.bounds}
    return Expansion(files, folders, problems, dict(sorted(found.others.items())), linked_out, bounds)


def expand_paths(paths: Sequence[Path], *, root: Path | None = None) -> tuple[list[Path], list[Path], list[LoadProblem]]:
    """(files, folders, problems): folders walked recursively and sorted, supported non-hidden files only.

    A file named explicitly is kept whatever its extension, so the loader can say why it is skipped. A link to a
    file outside its folder is a problem, not a file.
    """
    found = expand(paths, root=root)
    return found.files, found.folders, found.problems + found.linked_out
