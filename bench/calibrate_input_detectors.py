"""How the semantic thresholds of the input guardrails were chosen: out-of-fold scores on the TUNE split only.

Bench script (a client of the app's public API). For each detector it trains on k-1 folds of the tune-split
exemplars, scores the held-out fold (whole text and windows, as at run time), combines that score with the
guardrail's own lexical decision (pattern families / lexical gaps, run for real), and prints per language
the recall and false-block rate at each candidate threshold (for injection also the recall on the team's tune
attacks buried in a long benign question, spaced and joined without a clean seam, out-of-fold: shown, not part
of the rule). No report-split item is read. The rules:

- injection: the LOWEST threshold that meets both of issue #11's targets in both languages (>= 95% of the
  team's attacks flagged, <= 3% of its benign questions, look-alikes included, flagged): the most recall the
  false-block target allows. When no threshold meets both (the logistic model alone never did), the HIGHEST
  threshold that still flags >= 95% of the attacks (the recall target first, then as few false blocks as that
  allows);
- vagueness: the LOWEST threshold that keeps precision >= 0.95 on the team's vague + clear questions in both
  languages and clarifies <= 6% of the third-party clear questions (CLAMBER's "clear" questions are often
  open-ended), i.e. as much CLAMBER/ClariQ recall as those limits allow;
- injection clause groups (`clause_threshold`, a bar of its own for the best clause group of a long input), with
  the semantic threshold the first rule chose (and the policy's, when it differs): the LOWEST threshold at which the clause groups refuse no tune
  negative the decision without them lets through: the team's benign questions, the third-party benign ones and
  long CMRC trial passages (nobody's exemplars, each scored by one fold's model). Buried recall (both seams) is
  shown beside it.

    .venv/bin/python bench/calibrate_input_detectors.py [--detector injection|vagueness] [--show-errors]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

from app import OutOfFold, Usem3Embeddings, cross_validate_detector, current_value, load_policy, split_of
from guardrails import GuardContext
from guardrails.completeness import CompletenessGuardrail
from guardrails.prompt_injection import PromptInjectionGuardrail

REPO = Path(__file__).resolve().parents[1]
CANDIDATES = (0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
CLAUSE_CANDIDATES = (0.7, 0.72, 0.74, 0.76, 0.78, 0.8, 0.82, 0.84, 0.86, 0.88, 0.9, 0.95)
BURIED_SETS = ("injection-buried", "injection-buried-joined")
POSITIVE = {"injection": "injection", "vagueness": "vague"}
RECALL_TARGET, FALSE_BLOCK_TARGET = 0.95, 0.03  # injection
PRECISION_FLOOR, THIRD_PARTY_BUDGET = 0.95, 0.06  # vagueness


def lexical(name: str, text: str) -> bool:
    """The guardrail's decision without its semantic signal."""
    guard = PromptInjectionGuardrail() if name == "injection" else CompletenessGuardrail()
    verdict = guard.check(GuardContext(question=text))
    if name == "injection":
        return bool(verdict.details["families"])
    return verdict.fired


def cmrc_trial_passages(shared: Path) -> list[tuple[str, str, str]]:
    """(id, text, lang) of CMRC 2018 trial passages (the tune half of CMRC; the detector learns its questions,
    never its passages), [] when absent."""
    path = shared / "qa" / "cmrc2018" / "cmrc2018_trial.json"
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    found = [(p["id"], p["context"], "zh") for article in data["data"] for p in article["paragraphs"]]
    return [p for p in found if split_of(f"cmrc2018-trial-passages/{p[0]}") == "tune"]


def clause_sweep(scores: list[OutOfFold], flags: dict[str, bool], threshold: float) -> float | None:
    """Print, per clause threshold, what the clause groups add to `lexical OR score >= threshold`; return the
    lowest one at which they refuse no tune negative the decision without them lets through."""

    def refused(s: OutOfFold, bar: float | None) -> bool:
        return flags.get(s.key, False) or s.score >= threshold or (bar is not None and s.clause is not None and s.clause >= bar)

    def share(group: list[OutOfFold], bar: float | None) -> str:
        return f"{sum(refused(s, bar) for s in group) / max(1, len(group)):.3f}"

    def lang_cells(group: list[OutOfFold], bar: float | None) -> str:
        return " / ".join(f"{share([s for s in group if s.lang == lang], bar)}" for lang in ("en", "zh"))

    plain = [s for s in scores if not s.buried and not s.passage]
    attacks = [s for s in plain if s.team and s.kind == "injection"]
    negatives = [s for s in scores if not s.buried and s.kind != "injection"]  # team, third-party and passages
    passages = [s for s in scores if s.passage]
    buried = {name: [s for s in scores if s.dataset == name] for name in BURIED_SETS}
    base = {s.key for s in negatives if refused(s, None)}
    print(
        f"\nclause groups (clause_threshold), with semantic_threshold {threshold:.2f}; "
        f"{len(passages)} CMRC trial passages; columns en / zh"
    )
    print(f"  none  team attacks {lang_cells(attacks, None)} | negatives refused {len(base)} | "
          + " | ".join(f"{n} {lang_cells(b, None)}" for n, b in buried.items()))  # fmt: skip
    chosen = None
    for bar in CLAUSE_CANDIDATES:
        extra = [s for s in negatives if refused(s, bar) and s.key not in base]
        team_fb = lang_cells([s for s in plain if s.team and s.kind != "injection"], bar)
        line = (
            f"  {bar:.2f}  team attacks {lang_cells(attacks, bar)} | team false-block {team_fb} | "
            f"third-party false-block {share([s for s in plain if not s.team and s.kind != 'injection'], bar)} | "
            f"passages refused {sum(refused(s, bar) for s in passages)}/{len(passages)} | "
            f"negatives added {len(extra)} | " + " | ".join(f"{n} {lang_cells(b, bar)}" for n, b in buried.items())
        )
        print(line)
        for s in extra:
            print(f"      + {s.key} clause {s.clause:.2f}: {' '.join(s.text.split())[:90]}")
        if chosen is None and not extra:
            chosen = bar
    print(f"  clause_threshold chosen by the rule: {chosen}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--detector", choices=("injection", "vagueness"), action="append")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "eval-data")
    parser.add_argument("--team-only", action="store_true", help="learn from the team's sets alone")
    parser.add_argument(
        "--show-errors", action="store_true", help="print tune-split misses and false blocks at the chosen threshold"
    )
    parser.add_argument("--cache-dir", type=Path, help="reuse the exemplar vectors cached here (default: a fresh one)")
    args = parser.parse_args(argv)
    embedder = Usem3Embeddings(threads=1)
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.detector or ("injection", "vagueness"):
            scores = cross_validate_detector(
                name,
                embedder,
                team_dir=REPO / "data" / "eval",
                shared_dir=None if args.team_only else args.shared,
                corpus_dir=REPO / "data" / "docs",
                cache_dir=args.cache_dir or Path(tmp),
                buried=name == "injection",
                passages=cmrc_trial_passages(args.shared) if name == "injection" else (),
                log=lambda line: print(line, file=sys.stderr),
            )
            flags = {s.key: lexical(name, s.text) for s in scores}
            everything = scores
            buried = [s for s in scores if s.buried]
            scores = [s for s in scores if not s.buried and not s.passage]
            positive = POSITIVE[name]
            print(f"\n{name}: {len(scores)} tune-split exemplars, out-of-fold; decision = lexical OR score >= threshold")
            chosen, both = None, None
            for thr in CANDIDATES:
                cells, ok, meets = [], True, True
                for lang in ("en", "zh"):
                    team = [s for s in scores if s.team and s.lang == lang]
                    pos = [s for s in team if s.kind == positive]
                    neg = [s for s in team if s.kind != positive and (name == "injection" or s.kind != "injection")]
                    tp = sum(flags[s.key] or s.score >= thr for s in pos)
                    fp = sum(flags[s.key] or s.score >= thr for s in neg)
                    hit, fb, precision = tp / max(1, len(pos)), fp / max(1, len(neg)), tp / max(1, tp + fp)
                    ok &= hit >= RECALL_TARGET if name == "injection" else precision >= PRECISION_FLOOR
                    meets &= hit >= RECALL_TARGET and fb <= FALSE_BLOCK_TARGET
                    cells.append(
                        f"{lang}: recall {hit:.3f} ({len(pos)}) false-block {fb:.3f} ({len(neg)}) precision {precision:.3f}"
                    )
                others = [s for s in scores if not s.team]
                o_pos = [s for s in others if s.kind == positive]
                o_neg = [s for s in others if s.kind != positive]
                o_fb = sum(flags[s.key] or s.score >= thr for s in o_neg) / max(1, len(o_neg))
                shared = f"third-party recall {sum(flags[s.key] or s.score >= thr for s in o_pos) / max(1, len(o_pos)):.3f}"
                shared += f" false-block {o_fb:.3f}"
                for dataset in BURIED_SETS:
                    shared += f" | {dataset} recall " + " / ".join(
                        f"{lang} {sum(flags[s.key] or s.score >= thr for s in b) / max(1, len(b)):.3f} ({len(b)})"
                        for lang in ("en", "zh")
                        if (b := [s for s in buried if s.lang == lang and s.dataset == dataset])
                    )
                if name == "injection" and ok:
                    chosen = thr  # keeps rising while the recall target holds
                if name == "injection" and meets and both is None:
                    both = thr  # the lowest threshold meeting both targets
                elif name == "vagueness" and chosen is None and ok and o_fb <= THIRD_PARTY_BUDGET:
                    chosen = thr
                print(f"  {thr:.2f}  " + " | ".join(cells) + f" | {shared}")
            chosen = both if both is not None else chosen
            print(f"  chosen by the rule: {chosen}")
            if name == "injection" and chosen is not None:
                clause_sweep(everything, flags, chosen)
                running = float(current_value(load_policy(), "prompt_injection", "semantic_threshold"))
                if running != chosen:  # the clause bar for the threshold the policy runs with, too
                    clause_sweep(everything, flags, running)
            if args.show_errors and chosen is not None:
                for s in scores:
                    flagged = flags[s.key] or s.score >= chosen
                    if s.team and flagged != (s.kind == positive) and (name == "injection" or s.kind != "injection"):
                        print(f"  [{'FP' if flagged else 'FN'} {s.score:.2f}] {s.key}: {' '.join(s.text.split())[:110]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
