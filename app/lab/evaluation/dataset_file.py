"""One JSONL eval set file -> EvalItems: each line checked at the boundary (DatasetRow), its label read as a Kind,
and any fault a DatasetError naming the line. The format is data/eval/README.md's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

from pydantic import BaseModel, ConfigDict, ValidationError

from app.lab.evaluation.records import EvalItem, Kind


class DatasetError(ValueError):
    """A dataset name that is neither known nor a readable .jsonl file, or a malformed row."""


class DatasetRow(BaseModel):
    """One line of a user's (or the team's) JSONL set, checked at the boundary: a wrong type is a DatasetError
    naming the line, not a crash, and `"answer_keywords": "11434"` is not read as the keywords 1, 1, 4, 3, 4."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str | int | None = None
    question: str
    kind: str | None = None
    label: str | None = None
    type: str | None = None
    vague: bool | None = None
    injection: bool | None = None
    lang: str | None = None
    answer_keywords: tuple[str, ...] | None = None
    gold_answers: tuple[str, ...] | None = None
    expected_sources: tuple[str, ...] | None = None
    source: str | None = None
    answer: str | None = None
    anchor: str | None = None
    passage: str | None = None
    category: str | None = None


def _kind_of(row: DatasetRow) -> Kind | None:
    if row.kind in ("answerable", "vague", "clear", "unanswerable", "injection", "benign"):
        return cast(Kind, row.kind)
    if row.label in ("supported", "unsupported"):
        return cast(Kind, row.label)
    if row.vague is not None:
        return "vague" if row.vague else "clear"
    if row.injection is not None:
        return "injection" if row.injection else "benign"
    if row.type in ("answerable", "unanswerable"):
        return cast(Kind, row.type)
    return None


def load_jsonl(path: Path, *, dataset: str | None = None) -> list[EvalItem]:
    """A golden-set file in the data/eval format (see data/eval/README.md); DatasetError names the line at fault.
    A byte-order mark (Notepad's UTF-8) is read past; an id used twice is an error (records resume by id)."""
    items: list[EvalItem] = []
    lines: dict[str, int] = {}
    name = dataset or path.stem
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                item = _item(line, path, n, name)
                if item.id in lines:
                    raise DatasetError(
                        f"{path}:{n}: id {item.id!r} is also the id of line {lines[item.id]}; each id must be unique "
                        "in its file (records are kept and resumed by id)"
                    )
                lines[item.id] = n
                items.append(item)
    except UnicodeDecodeError:
        raise DatasetError(f"{path}: not UTF-8 text; an eval set is JSON lines (see data/eval/README.md)") from None
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from None
    return items


def _problem(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in exc.errors(include_url=False))


def _item(line: str, path: Path, n: int, name: str) -> EvalItem:
    try:
        data = json.loads(line)
        # "\ud800" decodes to half of a UTF-16 pair: no record holding it could be written (a crash mid-run)
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}:{n}: not JSON ({exc})") from None
    except RecursionError:  # found by a hunt: 100,000 "[" ended the run in "error: RecursionError" naming no line
        raise DatasetError(
            f"{path}:{n}: not JSON (nested too deeply to read; a row is one object of strings, lists and numbers)"
        ) from None
    except UnicodeEncodeError as exc:
        raise DatasetError(
            f"{path}:{n}: {exc.object[exc.start : exc.end].encode('unicode_escape').decode()} is half of a UTF-16 "
            "surrogate pair, not a character; write the character itself (or its full pair)"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("question"), str):
        raise DatasetError(
            f'{path}:{n}: each line is a JSON object with a "question" string and a label '
            "(type, vague, injection or kind); see data/eval/README.md"
        )
    try:
        row = DatasetRow.model_validate(data)
    except ValidationError as exc:
        raise DatasetError(f"{path}:{n}: {_problem(exc)} (see data/eval/README.md)") from None
    kind = _kind_of(row)
    if kind is None:
        raise DatasetError(f"{path}:{n}: row {row.id!r} has no label (type, vague, injection or kind)")
    item_id = str(n) if row.id is None or row.id == "" else str(row.id)
    try:
        return EvalItem(
            dataset=name,
            id=item_id,
            question=row.question,
            kind=kind,
            lang=row.lang or "?",
            answer_keywords=row.answer_keywords or (),
            gold_answers=row.gold_answers or (),
            expected_sources=row.expected_sources or ((row.source,) if row.source else ()),
            answer=row.answer,
            anchor=row.anchor,
            passage=row.passage,
            category=row.category or "",
        )
    except ValidationError as exc:
        raise DatasetError(f"{path}:{n}: {_problem(exc)}") from None
