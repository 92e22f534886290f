"""Labelled exemplars of the input detectors: which texts they learn from, with their provenance.

App layer (signals). Texts are read at run time from the team's hand-written sets (data/eval) and, when the
folder exists, from the third-party sets in ../shared/eval-data (never copied into the repository). Only the
TUNE hash split of each set is used (app.stats.split_of over "<dataset>/<id>", the key the evaluation lab
reports on), so no item of a report split ever becomes an exemplar. Large sets are subsampled by hash to
keep the first-use embedding cheap.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.stats import split_of

# The same filling as the evaluation lab's promptfoo adapter (a test checks the two agree): the exemplar is
# the jailbreak wrapper around a harmless question, not a harmful payload.
PROMPTFOO_PAYLOAD = "What port does Ollama listen on by default?"
TEAM_LICENCE = "team-written (this repository)"


class Exemplar(BaseModel):
    """One labelled text. `key` is "<dataset>/<id>", exactly the evaluation lab's item key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    text: str
    kind: str  # the lab's label: injection, benign, vague, clear, answerable, unanswerable
    lang: str
    licence: str

    @property
    def dataset(self) -> str:
        return self.key.split("/", 1)[0]

    @property
    def team(self) -> bool:
        """Team-written text may be quoted as evidence; third-party text is named by key only (some of it is
        offensive, see ../shared/eval-data/README.md)."""
        return self.licence == TEAM_LICENCE


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _team_kind(row: dict[str, Any]) -> str:
    if row.get("kind"):
        return str(row["kind"])
    if "vague" in row:
        return "vague" if row["vague"] else "clear"
    if "injection" in row:
        return "injection" if row["injection"] else "benign"
    return str(row.get("type") or "answerable")


# Team-written sets that live beside data/eval rather than in it (the same mapping as the lab's BUNDLED_SETS,
# which a test checks): the bundled general questions are everyday questions written for calibration.
BUNDLED = {"general": ("calibration", "general_questions.jsonl")}


def team_set(folder: Path, name: str) -> list[Exemplar]:
    """A team set of `folder` (data/eval), or a bundled one from its sibling folder, keyed like the lab keys it."""
    path = folder.parent.joinpath(*BUNDLED[name]) if name in BUNDLED else folder / f"{name}.jsonl"
    if not path.exists():
        return []
    return [
        Exemplar(
            key=f"{name}/{row['id']}", text=row["question"], kind=_team_kind(row), lang=row.get("lang", "?"), licence=TEAM_LICENCE
        )
        for row in _jsonl(path)
    ]


def _promptfoo(shared: Path) -> list[Exemplar]:
    path = shared / "injection" / "promptfoo_0.121.20" / "jailbreak_templates.json"
    templates = json.loads(path.read_text(encoding="utf-8"))
    return [
        Exemplar(key=f"promptfoo/promptfoo-{i:03d}", text=t.replace("__PROMPT__", PROMPTFOO_PAYLOAD), kind="injection", lang="en", licence="MIT (promptfoo 0.121.20)")
        for i, t in enumerate(templates)
    ]  # fmt: skip


def _giskard(shared: Path) -> list[Exemplar]:
    path = shared / "injection" / "giskard_2.19.2" / "prompt_injections.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        Exemplar(key=f"giskard/giskard-{row.get('index') or i}", text=row["prompt"], kind="injection", lang=row.get("language") or "en", licence="Apache-2.0 (giskard 2.19.2)")
        for i, row in enumerate(rows)
    ]  # fmt: skip


def _clamber(shared: Path) -> list[Exemplar]:
    path = shared / "clarification" / "clamber_clean.jsonl"
    return [
        Exemplar(key=f"clamber/{row.get('id') or i}", text=row["question"], kind="vague" if int(row["require_clarification"]) else "clear", lang="en", licence="CLAMBER (no licence stated)")
        for i, row in enumerate(_jsonl(path))
    ]  # fmt: skip


def _clariq(shared: Path) -> list[Exemplar]:
    """clarification_need 1 = clear, 3-4 = vague; 2 is skipped (the lab's reading of ClariQ)."""
    path = shared / "clarification" / "clariq_requests.jsonl"
    return [
        Exemplar(key=f"clariq/clariq-{row.get('topic_id', i)}", text=row["initial_request"], kind="vague" if int(row["clarification_need"]) >= 3 else "clear", lang="en", licence="ClariQ (no licence stated)")
        for i, row in enumerate(_jsonl(path))
        if int(row["clarification_need"]) != 2
    ]  # fmt: skip


def _cmrc_trial(shared: Path) -> list[Exemplar]:
    """CMRC 2018 trial questions (the split the shared README sets aside for tuning); all clear and benign."""
    path = shared / "qa" / "cmrc2018" / "cmrc2018_trial.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Exemplar(key=f"cmrc2018-trial/{qa['id']}", text=qa["question"], kind="answerable", lang="zh", licence="CC BY-SA 4.0 (CMRC 2018)")
        for article in data["data"]
        for para in article["paragraphs"]
        for qa in para["qas"]
    ]  # fmt: skip


SHARED_READERS: dict[str, Callable[[Path], list[Exemplar]]] = {
    "promptfoo": _promptfoo,
    "giskard": _giskard,
    "clamber": _clamber,
    "clariq": _clariq,
    "cmrc2018-trial": _cmrc_trial,
}


def shared_set(shared: Path, name: str) -> list[Exemplar]:
    """A third-party set, or [] when its file is absent or unreadable (the detector then learns without it)."""
    try:
        return SHARED_READERS[name](shared)
    except (OSError, ValueError, KeyError):
        return []


def tune_sample(items: list[Exemplar], cap: int | None = None) -> list[Exemplar]:
    """The tune split, then at most `cap` of it chosen by a hash of the key (stable across runs)."""
    tune = [e for e in items if split_of(e.key) == "tune"]
    if cap is None or len(tune) <= cap:
        return tune
    return sorted(tune, key=lambda e: hashlib.sha256(("sample:" + e.key).encode("utf-8")).hexdigest())[:cap]


def corpus_set(folder: Path, *, min_chars: int = 80) -> list[Exemplar]:
    """Paragraphs of the team's sample corpus (data/docs, hand-written): long benign prose, much of it about
    prompts and prompt injection in the third person, the look-alikes a detector must not flag. Not an
    evaluation set (nothing is reported on it), so it is not split."""
    found: list[Exemplar] = []
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.suffix not in (".md", ".txt"):
            continue
        paragraphs = [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n")]
        for n, para in enumerate(p for p in paragraphs if len(p) >= min_chars):
            lang = "zh" if sum("\u4e00" <= c <= "\u9fff" for c in para) > len(para) * 0.1 else "en"
            found.append(Exemplar(key=f"docs/{path.name}#{n}", text=para, kind="benign", lang=lang, licence=TEAM_LICENCE))
    return found


def window_spans(text: str, size: int, limit: int) -> list[tuple[int, str]]:
    """Overlapping (start, text) windows covering every character of `text`, at most `limit` of them; for a text
    too long for `limit` windows of `size`, the windows widen (never leave a gap). [] when it fits in one.
    `size` counts Latin characters: a mostly Chinese text gets half as many characters per window, since a
    Chinese character carries about as much as two Latin ones (an attack is then not diluted twice as much)."""
    if sum("\u4e00" <= c <= "\u9fff" for c in text) > len(text) * 0.3:
        size = max(1, size // 2)
    if len(text) <= size or limit < 2:
        return []
    size = max(size, -(-2 * len(text) // (limit + 1)))
    if len(text) <= size:
        return []
    count = min(limit, -(-(len(text) - size) // max(1, size // 2)) + 1)
    starts = dict.fromkeys(round(i * (len(text) - size) / (count - 1)) for i in range(count))
    return [(s, text[s : s + size]) for s in starts]


# Where a clause ends: after sentence or clause punctuation (Chinese and Latin) or a line break, at ". ", and at
# whitespace beside a CJK character (Chinese puts no spaces inside a sentence, so a space there is a seam: around
# a Latin word, or where text was pasted in).
_CLAUSE_END = re.compile(r"(?<=[。！？；，、：!?;,:\n])|(?<=\. )|\s+(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])\s+")


def clause_spans(text: str, size: int, limit: int) -> list[tuple[int, str]]:
    """(start, text) groups of consecutive clauses, one starting at each clause, each packed up to `size`
    characters (Latin; halved for a mostly Chinese text, as window_spans) and at least one clause long: the
    frame in which a short attack buried mid-text reads as itself, whatever its length, instead of a share of a
    fixed window. At most `limit`: a text of more clauses gets fewer starts (evenly spaced) and groups as wide
    as the gap between them, so nothing is left uncovered. [] when the text fits in `size`."""
    if sum("\u4e00" <= c <= "\u9fff" for c in text) > len(text) * 0.3:
        size = max(1, size // 2)
    if len(text) <= size or limit < 1:
        return []
    found = [(m.start(), m.end()) for m in _CLAUSE_END.finditer(text)]
    cuts = sorted({0, len(text), *(c for pair in found for c in pair)})
    # A clause starts at its first character that is not a space (a cut after ", " is followed by one).
    starts = sorted({c + len(text[c:]) - len(text[c:].lstrip()) for c in cuts[:-1]} - {len(text)})
    if len(starts) > limit:  # evenly spaced starts and wider groups, each reaching at least the next start
        step = len(text) / limit
        starts = sorted({next(s for s in starts if s >= min(starts[-1], i * step)) for i in range(limit)})
        size = max(size, int(2 * step) + 1)
    spans: dict[str, int] = {}
    for start, after in zip(starts, [*starts[1:], len(text)], strict=True):
        ends = [c for c in cuts if start < c <= start + size]
        end = max(ends[-1] if ends else next(c for c in cuts if c > start), after if len(starts) > 1 else start)
        chunk = text[start:end].rstrip()
        if chunk and chunk != text.strip():
            spans.setdefault(chunk, start)
    return [(start, chunk) for chunk, start in spans.items()]


def _cjk(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


def cjk_windows(text: str, size: int, limit: int) -> list[tuple[int, str]]:
    """Overlapping (start, text) windows of `size` Latin characters (a Chinese character counts two) starting
    every third of that, kept where Chinese characters are at least 30% of the window: the frame in which a short
    Chinese attack run into Chinese prose with no seam (no punctuation or space around it, so it shares a clause
    with the prose) is most of a window, as the training exemplars are whole short questions. [] when the text
    fits in `size`, has no Chinese character, or would need more than `limit` windows: widened windows are no
    longer the size of an attack, and on the tune split they were what refused long benign passages, so a longer
    text keeps its fixed windows and clause groups only."""
    units = [2 if _cjk(c) else 1 for c in text]
    if sum(units) <= size or 2 not in units:
        return []
    ends = list(accumulate(units))  # ends[i]: the units up to and including character i
    total, stride = ends[-1], max(1, size // 3)
    count = -(-(total - size) // stride) + 1
    if count > limit:
        return []
    spans: list[tuple[int, str]] = []
    for n in range(count):
        begin = min(n * stride, total - size)  # in units; the last window ends with the text
        start = bisect_right(ends, begin)  # the character holding unit `begin`
        chunk = text[start : bisect_right(ends, begin + size)]
        if chunk.strip() and sum(_cjk(c) for c in chunk) >= 0.3 * len(chunk) and (not spans or spans[-1][0] != start):
            spans.append((start, chunk))
    return spans
