"""LlamaEngine: the one llama.cpp model behind the embedded Ollama transport (a `ChatEngine`).

The caller (app.models.factory.ModelFactory) owns the instance, so the model loads once per process. llama.cpp
contexts are not thread-safe: every call into llama.cpp holds the engine's lock.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.embedded.events import STOP_REQUESTED, ChatEvent, Delta, Finish, Format, GenerationStopped, LoadReport
from app.embedded.gguf import ModelCard, embedded_model_name, locate_gguf, model_card
from app.embedded.gguf_header import read_header
from app.embedded.options import requested_ctx, response_format, sampling_kwargs

if TYPE_CHECKING:
    from app.settings import Settings


# Prompt tokens llama.cpp processes per call. The prompt (question, passages, history: ~1,500 tokens) takes
# seconds before the first token, and a stop is noticed only between calls: llama-cpp-python's default of 512
# made a withdrawn question hold the model for most of that time. Smaller batches cost little on CPU (measured
# in bench/bench_embedded.py) and bound the wait to a fraction of the prompt.
EVAL_BATCH = 64
log = logging.getLogger("guarded_rag.embedded")
FALLBACK_TEMPLATE = "llama-2"  # what llama-cpp-python (0.3.36) formats chats with when the GGUF has no template


class EngineError(RuntimeError):
    """llama.cpp could not be used (not installed, or the model failed to load)."""


class LlamaEngine:
    """Lazily loads the GGUF on first use; reloads only when a request needs a larger context."""

    def __init__(self, gguf: Path | None = None, *, max_ctx: int = 2048, threads: int = 2) -> None:
        self._configured = gguf
        self._max_ctx = max_ctx
        self._threads = threads
        self._lock = threading.Lock()
        self._llama: Any = None
        self._n_ctx: int | None = None
        self._card: ModelCard | None = None
        self._trained_ctx: int | None = None  # from the GGUF header, read at the first load
        self._chat_format: str | None = None  # how the loaded model's prompts are formatted (None: nothing loaded)

    @classmethod
    def from_settings(cls, settings: Settings) -> LlamaEngine:
        return cls(settings.gguf, max_ctx=settings.num_ctx, threads=settings.threads)

    @property
    def model_name(self) -> str:
        return embedded_model_name(self._configured)

    def card(self) -> ModelCard:
        if self._card is None:  # benign race: two threads compute the same immutable value
            self._card = model_card(self._configured)
        return self._card

    def loaded_ctx(self) -> int | None:
        return self._n_ctx

    def chat_format(self) -> str | None:
        """How the loaded model's chats are formatted: "gguf" (the file's own template) or FALLBACK_TEMPLATE."""
        return self._chat_format

    def load(self, *, num_ctx: int | None = None) -> LoadReport:
        with self._lock:
            return self._ensure_loaded(num_ctx)

    def unload(self) -> bool:
        """Frees the model (llama.cpp's weights and context) now; whether one was loaded. Waits for a generation
        under way (the lock). The engine stays usable: the next call loads again (Ollama's keep_alive 0)."""
        with self._lock:
            return self._free()

    def close(self) -> None:
        """Frees the model (as `unload`): call it on shutdown or when the engine is dropped, so llama.cpp's memory
        goes back now and not whenever the garbage collector gets to it."""
        self.unload()

    def __enter__(self) -> LlamaEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _free(self) -> bool:
        """Lock held."""
        llama, self._llama, self._n_ctx, self._chat_format = self._llama, None, None, None
        if llama is None:
            return False
        llama.close()
        return True

    def chat(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        format: Format,
        options: Mapping[str, Any] | None,
        stream: bool = True,
    ) -> Iterator[ChatEvent]:
        """Deltas then one Finish. Consume it fully or close() it: the lock is held while it runs."""
        # Validated eagerly so a bad option fails at the call, before any event.
        kwargs = sampling_kwargs(options)
        fmt = response_format(format)
        num_ctx = requested_ctx(options)
        chat_messages = [{"role": m["role"], "content": m.get("content") or ""} for m in messages]
        return self._generate(chat_messages, kwargs, fmt, num_ctx, stream)

    def _generate(
        self,
        messages: list[dict[str, str]],
        kwargs: dict[str, Any],
        fmt: dict[str, Any] | None,
        num_ctx: int | None,
        stream: bool,
    ) -> Iterator[ChatEvent]:
        started = time.perf_counter_ns()
        pieces: list[str] = []
        stop = STOP_REQUESTED.get()
        with self._lock:
            # A request that waited here for another generation may have been withdrawn meanwhile (its client timed
            # out): it must not load (or reload with a larger context, seconds) and prompt a model nobody reads.
            if stop is not None and stop():
                raise GenerationStopped("the reader went away while the generation waited for the model")
            report = self._ensure_loaded(num_ctx)
            llama = self._llama
            gen_start = time.perf_counter_ns()
            first: int | None = None
            finish_reason = "stop"
            n_chunks = 0
            overflowed = False
            chunks = llama.create_chat_completion(messages=messages, stream=True, response_format=fmt, **kwargs)
            try:
                with stop_between_batches(llama, stop), counting_evals(llama) as evals:
                    try:
                        for chunk in chunks:
                            choice = chunk["choices"][0]
                            text = choice.get("delta", {}).get("content")
                            if text:
                                first = first or time.perf_counter_ns()
                                n_chunks += 1
                                if stream:
                                    yield Delta(content=text)
                                else:
                                    pieces.append(text)
                            if choice.get("finish_reason"):
                                finish_reason = choice["finish_reason"]
                    except ValueError as exc:
                        if not prompt_overflows(exc):
                            raise
                        overflowed, finish_reason = True, "length"
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:  # stops llama-cpp's generator now, not at garbage collection
                    close()
            ended = time.perf_counter_ns()
        if pieces:
            yield Delta(content="".join(pieces))
        first = first or ended
        yield Finish(
            done_reason="length" if finish_reason == "length" else "stop",
            total_duration=ended - started,
            load_duration=report.load_duration,
            # Counted at llama-cpp-python's `eval` (see counting_evals), not by llama.cpp's perf counters, which
            # book a one-token prompt batch (the last prompt token, re-evaluated when the whole prompt is cached) as
            # a generated token. Durations are wall clock because llama.cpp's timers leave out sampling, which a
            # grammar makes expensive.
            # A prompt that does not fit: the context filled up before a token was written, as a "length" stop whose
            # prompt took the whole context, so the generation ladder refits the prompt to it (chains.replies).
            prompt_eval_count=report.n_ctx if overflowed else evals.prompt,
            prompt_eval_duration=first - gen_start,
            eval_count=evals.sampled if evals.calls else n_chunks,
            eval_duration=ended - first,
            cold=report.cold,
        )

    def _ensure_loaded(self, num_ctx: int | None) -> LoadReport:
        """Lock held. Loads (or reloads with a larger context) and reports whether it did. The context never exceeds
        the one the model was trained with: past it the model writes nonsense, and llama.cpp still allocates the
        whole cache (num_ctx=131072 on SmolLM2, trained with 8192: 3 GB and 8 s to load, measured)."""
        wanted = min(num_ctx or self._max_ctx, self._max_ctx, self._trained_ctx or self._max_ctx)
        if self._llama is not None and self._n_ctx is not None and self._n_ctx >= wanted:
            return LoadReport(load_duration=0, cold=False, n_ctx=self._n_ctx)
        path = locate_gguf(self._configured)
        header = read_header(path)  # milliseconds; llama.cpp only says "Failed to load model from file"
        if header.problem is not None:
            raise EngineError(f"could not load {path}: the file {header.problem}")
        self._trained_ctx = header.context_length
        wanted = min(wanted, header.context_length or wanted)
        try:
            from llama_cpp import Llama  # lazy: unit tests and the Ollama backend never need it
        except ImportError as exc:
            raise EngineError(f"llama-cpp-python is not installed ({exc}); pip install llama-cpp-python==0.3.36") from exc
        self._free()
        started = time.perf_counter_ns()
        try:
            self._llama = Llama(
                model_path=str(path),
                n_ctx=wanted,
                n_batch=EVAL_BATCH,
                n_threads=self._threads,
                n_threads_batch=self._threads,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise EngineError(f"could not load {path}: {exc}") from exc
        self._n_ctx = wanted
        self._chat_format = "gguf" if header.chat_template else FALLBACK_TEMPLATE
        if not header.chat_template:
            log.warning(
                "%s has no chat template (tokenizer.chat_template): llama-cpp-python formats its chats with the %s "
                "template, which the model was probably not trained on; expect poor answers, or use a GGUF with one",
                path.name,
                FALLBACK_TEMPLATE,
            )
        return LoadReport(load_duration=time.perf_counter_ns() - started, cold=True, n_ctx=wanted)


# llama-cpp-python (0.3.36) refuses a prompt of n_ctx tokens or more with this ValueError before evaluating any of it.
_OVERFLOW = re.compile(r"Requested tokens \(\d+\) exceed context window of \d+")


def prompt_overflows(exc: ValueError) -> bool:
    """Whether llama-cpp-python refused the prompt for not fitting the context (no other ValueError)."""
    return _OVERFLOW.fullmatch(str(exc)) is not None


@contextmanager
def stop_between_batches(llama: Any, stop: Callable[[], bool] | None) -> Iterator[None]:
    """While inside, each llama.cpp decode call (a batch of prompt tokens, or one generated token) first asks
    `stop` and raises GenerationStopped when it says so: a generation whose reader went away ends within one
    batch instead of after the whole prompt. Raising *before* the call keeps the model's cache consistent (the
    batch is simply not evaluated; llama-cpp-python drops cache entries past its token count on the next call).

    llama-cpp-python (0.3.36) has no public hook between batches: `Llama.eval` calls `self._ctx.decode(batch)`
    per batch, so the wrapper is set on that object for the duration and removed after. A build without `_ctx`
    keeps the per-token stop of the pump."""
    ctx: Any = getattr(llama, "_ctx", None)
    decode = getattr(ctx, "decode", None)
    if stop is None or decode is None:
        yield
        return

    def checked(batch: Any) -> Any:
        if stop():
            raise GenerationStopped("the reader went away: generation stopped between batches")
        return decode(batch)

    ctx.decode = checked  # an instance attribute: shadows the method until deleted
    try:
        yield
    finally:
        del ctx.decode


class Evals:
    """What one generation asked llama.cpp to evaluate: llama-cpp-python's `generate` calls `eval` first with the
    prompt tokens not already in the model's cache, then once per sampled token but the last (EOS, or the one that
    reached num_predict), which is never evaluated."""

    def __init__(self) -> None:
        self.calls = 0
        self.prompt = 0

    @property
    def sampled(self) -> int:
        """Tokens sampled (Ollama's eval_count): one per `eval` after the prompt's, plus the last one."""
        return self.calls


@contextmanager
def counting_evals(llama: Any) -> Iterator[Evals]:
    """While inside, counts `llama.eval` calls (an instance attribute shadowing the method until deleted, as in
    stop_between_batches). A build without `eval` counts nothing (calls stays 0)."""
    evals = Evals()
    evaluate = getattr(llama, "eval", None)
    if evaluate is None:
        yield evals
        return

    def counted(tokens: Sequence[int]) -> Any:
        if evals.calls == 0:
            evals.prompt = len(tokens)
        evals.calls += 1
        return evaluate(tokens)

    llama.eval = counted
    try:
        yield evals
    finally:
        del llama.eval
