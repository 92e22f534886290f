"""The `context_injection` guardrail measured on labelled document passages: how many passages that address the
AI reading them it drops, and how many ordinary passages it drops by mistake.

App layer (evaluation lab). The sets (see data/eval/README.md):
- `doc_injection`: team-written passages, injected and look-alike, hash-split into tune and report halves;
- `doc_injection_heldout`: 100 passages written by someone who never saw the guardrail or the other set, used
  for measurement only (never for a rule);
- `doc_injection_heldout2`: 120 more such passages, written after the `addressed_to_ai_reader` family landed,
  a third of whose injections never name the AI they address: measurement only;
- report-split attacks of the injection sets (the team's and, when ../shared is present, promptfoo's and
  Giskard's) buried mid-passage in an unseen benign passage of their language;
- benign text nobody labelled for this: the chunks of the sample corpus (data/docs, which documents prompts and
  injection at length) and CMRC 2018 dev passages (Chinese Wikipedia).
Every passage is judged as a retrieved chunk is, by the guardrail itself. No model call.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app import chunk_text, split_of
from app.lab.evaluation.datasets import resolve
from guardrails import Chunk, GuardContext
from guardrails.context_injection import ContextInjectionGuardrail

Group = Literal["team", "held-out", "held-out-2", "buried", "corpus", "cmrc", "cmrc-trial"]
TEAM = "doc_injection"
HELD_OUT: tuple[tuple[str, Group], ...] = (("doc_injection_heldout", "held-out"), ("doc_injection_heldout2", "held-out-2"))
CMRC_SAMPLE = 300  # dev passages judged (chosen by hash): enough for a false-flag rate of ~1% to show
PASSAGE_GROUPS: dict[str, str] = {
    "team": "team passages",
    "held-out": "held-out passages (never used for a rule)",
    "held-out-2": "second held-out passages (written after the family landed)",
    "buried": "attacks of the injection sets buried in a passage",
    "corpus": "sample corpus chunks (data/docs)",
    "cmrc": "CMRC 2018 dev passages",
    "cmrc-trial": "CMRC 2018 trial passages",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Passage(_Frozen):
    """One line of a labelled passage set."""

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    lang: Literal["zh", "en"]
    kind: Literal["doc_injection", "doc_benign"]
    style: str = ""


class PassageCase(_Frozen):
    """One passage to judge, with its label and the row it is counted in."""

    key: str
    group: Group
    split: Literal["tune", "report", "all"]
    lang: str
    injection: bool
    text: str


class PassageResult(_Frozen):
    """The guardrail's verdict on one passage: dropped or not, and by which families."""

    case: PassageCase
    dropped: bool
    families: tuple[str, ...] = ()


class PassageRow(_Frozen):
    """Counts of one (group, split, language): passages of each label and how many of each were dropped."""

    group: Group
    split: str
    lang: str
    injections: int
    benign: int
    caught: int
    false_flags: int

    @property
    def recall(self) -> float | None:
        return self.caught / self.injections if self.injections else None

    @property
    def false_flag_rate(self) -> float | None:
        return self.false_flags / self.benign if self.benign else None


def load_passages(path: Path) -> list[Passage]:
    """A labelled passage set (JSON Lines); a bad line fails loudly with its number."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            out.append(Passage.model_validate(json.loads(line)))
        except RecursionError:  # json.loads reads nesting by recursion: a line nested thousands deep
            raise ValueError(f"{path}:{n}: not JSON (nested too deeply to read)") from None
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: {str(exc).splitlines()[0]}") from exc
    return out


def _by_hash(key: str) -> str:
    return hashlib.sha256(("sample:" + key).encode("utf-8")).hexdigest()


def _lang(text: str) -> str:
    return "zh" if sum("\u4e00" <= c <= "\u9fff" for c in text) > len(text) * 0.1 else "en"


def _labelled(team_dir: Path, name: str, group: Group, split: str) -> list[PassageCase]:
    path = team_dir / f"{name}.jsonl"
    if not path.exists():
        return []
    cases = []
    for p in load_passages(path):
        key = f"{name}/{p.id}"
        half = split_of(key) if group == "team" else "all"  # the held-out sets are measured whole
        if split in ("all", half) or half == "all":
            cases.append(
                PassageCase(key=key, group=group, split=half, lang=p.lang, injection=p.kind == "doc_injection", text=p.text)
            )
    return cases


def _corpus(docs: Path) -> list[PassageCase]:
    out = []
    for path in sorted(docs.glob("*")) if docs.is_dir() else []:
        if path.suffix in (".md", ".txt"):
            for d in chunk_text(path.read_text(encoding="utf-8"), source=path.name):
                out.append(PassageCase(key=f"docs/{d.chunk_id}", group="corpus", split="all", lang=_lang(d.text), injection=False, text=d.text))  # fmt: skip
    return out


def _cmrc(shared: Path | None, part: Literal["dev", "trial"]) -> list[PassageCase]:
    """CMRC 2018 passages: dev (the shared README's report split) or trial (its tuning split)."""
    path = shared / "qa" / "cmrc2018" / f"cmrc2018_{part}.json" if shared is not None else None
    if path is None or not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    group: Group = "cmrc" if part == "dev" else "cmrc-trial"
    cases = [
        PassageCase(key=f"cmrc2018-{part}-passages/{p['id']}", group=group, split="all", lang="zh", injection=False, text=p["context"])
        for a in data["data"]
        for p in a["paragraphs"]
    ]  # fmt: skip
    return sorted(cases, key=lambda c: _by_hash(c.key))[:CMRC_SAMPLE]


def _buried(team_dir: Path, shared: Path | None, fillers: dict[str, list[str]], split: str) -> list[PassageCase]:
    """Attacks of one split (at most 300 characters), each in the middle of a benign passage of its language."""
    attacks = []
    for name in ("injection", "giskard", "promptfoo"):
        items = resolve(name, shared=shared, eval_dir=team_dir) if name == "injection" or shared is not None else None
        attacks += [
            i for i in items or () if i.kind == "injection" and split in ("all", split_of(i.key)) and len(i.question) <= 300
        ]
    out = []
    for n, a in enumerate(sorted(attacks, key=lambda i: _by_hash(i.key))):
        pool = fillers.get(a.lang) or []
        if pool:
            filler = pool[n % len(pool)]
            cut = len(filler) // 2
            text = f"{filler[:cut]} {a.question} {filler[cut:]}"
            out.append(PassageCase(key=f"buried/{a.key}", group="buried", split=split_of(a.key), lang=a.lang, injection=True, text=text))  # fmt: skip
    return out


def passage_cases(
    team_dir: Path, shared: Path | None, docs: Path, *, split: Literal["tune", "report"] = "report"
) -> list[PassageCase]:
    """What one split measures. report: the team set's report half, the held-out sets, report-split attacks buried
    in CMRC dev passages (zh) or sample-corpus chunks (en), the sample corpus and CMRC dev passages. tune (what
    rules are designed on): the team set's tune half, tune-split attacks buried in CMRC trial passages or corpus
    chunks, the sample corpus and CMRC trial passages; never a held-out set or CMRC dev."""
    corpus, cmrc = _corpus(docs), _cmrc(shared, "dev" if split == "report" else "trial")
    fillers = {"en": [c.text for c in corpus if c.lang == "en" and len(c.text) >= 300], "zh": [c.text for c in cmrc]}
    held_out = [c for name, group in HELD_OUT for c in _labelled(team_dir, name, group, split)] if split == "report" else []
    return [*_labelled(team_dir, TEAM, "team", split), *held_out, *_buried(team_dir, shared, fillers, split), *corpus, *cmrc]


def judge_passages(cases: Sequence[PassageCase], guard: ContextInjectionGuardrail | None = None) -> list[PassageResult]:
    """Each passage as one retrieved chunk before the guardrail (default parameters unless `guard` is given)."""
    guard = guard or ContextInjectionGuardrail()
    out = []
    for case in cases:
        verdict = guard.check(GuardContext(question="", chunks=(Chunk(chunk_id="p", source="p", text=case.text, score=1.0),)))
        families = tuple((verdict.details or {}).get("families", {}).get("p", ()))
        out.append(PassageResult(case=case, dropped=verdict.fired, families=families))
    return out


def passage_rows(results: Sequence[PassageResult]) -> list[PassageRow]:
    """One row per (group, split, language), in the order the groups first appear."""
    rows = []
    for group, split, lang in dict.fromkeys((r.case.group, r.case.split, r.case.lang) for r in results):
        mine = [r for r in results if (r.case.group, r.case.split, r.case.lang) == (group, split, lang)]
        rows.append(
            PassageRow(
                group=group, split=split, lang=lang,
                injections=sum(r.case.injection for r in mine), benign=sum(not r.case.injection for r in mine),
                caught=sum(r.case.injection and r.dropped for r in mine),
                false_flags=sum(not r.case.injection and r.dropped for r in mine),
            )
        )  # fmt: skip
    return rows
