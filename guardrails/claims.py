"""Names an answer asserts that its passage must contain: identifiers, and acronyms within one language.

Pure policy layer (stdlib), used by the grounding guardrail. A token overlap cannot judge a name the passage
never uses (`--runtime=metal`, `/etc/ollama/config.yaml`, `ONNX` for `GGUF`): one unknown name among many
shared words still overlaps well. Nor can it judge a command of the restated sentence run with another
subcommand (`ollama rm` written as "run ollama stop"): replaced_commands.
"""

from __future__ import annotations

import re
from functools import lru_cache

from guardrails.acronyms import expansion
from guardrails.alignment import Contradiction, align
from guardrails.marking import mark, passage_sentences
from guardrails.sentences import sentences
from guardrails.text import cjk_letters, has_cjk, normalize
from guardrails.text_quotes import fenced_lines, squash, strip_code_fences

# Identifiers a paraphrase cannot translate: names with _ : / . or digits (OLLAMA_HOST, qwen2.5:3b,
# /etc/ollama/config.yaml, llama3), command-line flags (--gpus=all, --privileged) and slash commands (/clear,
# /bye). A hyphen inside a name belongs to it (deepseek-r1:7b, qwen2.5-coder:7b, bge-m3), as it already did after a digit (llama3-gradient).
_IDENT_RE = re.compile(
    r"(?<![\w./-])(?:--?[a-z][\w-]*(?:=[\w.:/-]+)?|/[\w.-]+(?:/[\w.-]+)+|/[A-Za-z][\w-]+(?![\w./-])"
    r"|[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*(?:[_:/.][A-Za-z0-9_]+(?:-[A-Za-z0-9]+)*)+|[A-Za-z]+(?:-[A-Za-z]+)*\d[\w.:-]*)",
    re.ASCII,  # \w is ASCII: a name written against Chinese text is still a name, and ends where its Latin ends
)
_ACRONYM_RE = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]{2,}(?![\w-])", re.ASCII)
_PLAIN_ACRONYM = re.compile(r"[A-Z][A-Z0-9]{2,}")


# Dotted single letters are abbreviations a paraphrase adds freely (e.g., i.e., U.S., a.m.), not names.
_ABBREVIATION_RE = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")


def identifiers(text: str) -> list[str]:
    """Identifier-like tokens of `text`, trailing punctuation dropped, in order, distinct."""
    found = (m.rstrip(".:-/") for m in _IDENT_RE.findall(strip_code_fences(text)))
    return list(dict.fromkeys(m for m in found if not _ABBREVIATION_RE.fullmatch(m)))


# A path is a name in code too: the answer's fenced code blocks are not read for identifiers (a code example names
# its own variables), but a path in them (`sudo rm /lib/systemd/system/ollama.service` for the passage's
# /etc/systemd/system/…) names a file or an endpoint the passage must give, as it must in prose.
_CODE_PATH_RE = re.compile(r"(?<![\w./~:$-])/[\w.-]+(?:/[\w.-]+)+", re.ASCII)


def code_paths(text: str) -> list[str]:
    """The paths written in the fenced code blocks of `text`, trailing punctuation dropped, in order, distinct."""
    code = "\n".join(line for line, fenced in zip(text.split("\n"), fenced_lines(text), strict=True) if fenced)
    return list(dict.fromkeys(m.rstrip(".:-/") for m in _CODE_PATH_RE.findall(code)))


def same_language(answer: str, support: str) -> bool:
    """Both mostly Chinese or both mostly not: only then must names and acronyms be copied, not translated. The
    answer's language is that of its own words: Latin words the passage also uses (Ollama, Open WebUI, HTTP API)
    are names it copied, and do not make "Ollama 通过 HTTP API 调用 Open WebUI" an English sentence next to a
    Chinese passage."""
    if _mostly_cjk(answer) == support_mostly_cjk(support):
        return True
    names = _support_words(support)
    own = _LATIN_WORD_RE.sub(lambda m: " " if m.group().lower() in names else m.group(), answer)
    return support_mostly_cjk(support) and _mostly_cjk(own)


_LATIN_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*")


@lru_cache(maxsize=1024)
def _support_words(text: str) -> frozenset[str]:
    return frozenset(m.group().lower() for m in _LATIN_WORD_RE.finditer(text))


@lru_cache(maxsize=1024)  # a character loop over whole passages, which come back answer after answer
def support_mostly_cjk(text: str) -> bool:
    """A passage written mostly in Chinese (memoised). Its fenced code blocks do not count: a Chinese passage with a
    Python example is still a Chinese passage, and its answers are checked as answers in its language."""
    prose = strip_code_fences(text)
    return _mostly_cjk(prose if prose.strip() else text)


@lru_cache(maxsize=1024)  # likewise: the passages an answer is checked against recur
def squashed_passage(text: str) -> str:
    """squash() of a passage, memoised."""
    return squash(text)


@lru_cache(maxsize=1024)
def normalized_passage(text: str) -> str:
    """normalize() of a passage, memoised."""
    return normalize(text)


def _mostly_cjk(text: str) -> bool:
    letters = sum(map(str.isalpha, text))
    return bool(letters) and cjk_letters(text) / letters >= 0.3


def unsupported_names(answer: str, support: str) -> list[str]:
    """Identifiers, and (when answer and support share a language) acronyms such as ONNX or PROMPT, of the
    answer that the support never contains; and, in a Chinese answer to a Chinese passage, Latin words the passage
    never uses (latin_names)."""
    passage = normalized_passage(support)
    names = identifiers(answer) + code_paths(answer)
    if same_language(answer, support) and has_cjk(answer) == has_cjk(support):
        acronyms = _ACRONYM_RE.findall(strip_code_fences(answer))
        names += [a for a in acronyms if a not in names and not _spelled_in(a, support, passage)]
    # An acronym the passage writes in the plural is written ("GPU" for "Looks for NVIDIA or AMD GPUs").
    unknown = [
        n
        for n in dict.fromkeys(names)
        if not _name_within(normalize(n), passage)
        and not (_PLAIN_ACRONYM.fullmatch(n) and _name_within(normalize(n) + "s", passage))
    ]
    if has_cjk(answer) and support_mostly_cjk(support) and same_language(answer, support):
        unknown += [n for n in latin_names(answer) if n not in unknown and not _words_within(n, passage)]
    return unknown


# Common acronyms and the plain words a passage writes for them: "RAM" says what "memory" says, "LLM" what "language
# model" says. A closed list of general computing terms, not names of one corpus; an acronym naming a product or a
# format (ONNX, GGUF) or a keyword (PROMPT, SYSTEM) has no plain words and must be written as the passage writes it.
_PLAIN_WORDS: dict[str, tuple[str, ...]] = {
    "RAM": ("memory", "内存"),
    "VRAM": ("gpu memory", "video memory", "显存"),
    "LLM": ("model", "模型"),
    "LLMS": ("model", "模型"),
    "CPU": ("processor", "处理器"),
    "GPU": ("graphics card", "显卡"),
    "CLI": ("command line", "command-line", "命令行"),
    "OS": ("operating system", "操作系统"),
    "SSD": ("disk", "磁盘", "硬盘"),
    "HDD": ("disk", "磁盘", "硬盘"),
    "URL": ("address", "link", "地址", "链接"),
    "TTFT": ("first token", "首 token", "首个 token"),
}


def _spelled_in(acronym: str, support: str, passage: str) -> bool:
    """The passage writes what the acronym stands for: its words, one after another, with its initials ("operating
    system" for OS, acronyms.spelled_out), or the plain words of a common acronym ("memory" for RAM)."""
    if expansion(acronym.rstrip("s"), support) is not None:
        return True
    return any(word in passage for word in _PLAIN_WORDS.get(acronym.upper(), ()))


# A run of Latin words in Chinese text: "Flash Attention", "cuda", "Open WebUI".
_LATIN_RUN_RE = re.compile(r"[A-Za-z]{3,}(?:[ \t]+[A-Za-z]{2,})*")


def latin_names(answer: str) -> list[str]:
    """The runs of Latin words of a Chinese answer outside its identifiers and code: in Chinese prose a Latin word
    is a name, copied from the passage (Ollama, Open WebUI, token), not a paraphrase of it."""
    prose = _IDENT_RE.sub(" ", re.sub(r"`[^`\n]*`", " ", strip_code_fences(answer)))
    return list(dict.fromkeys(_LATIN_RUN_RE.findall(prose)))


def _words_within(run: str, passage: str) -> bool:
    """Every word of the run in the normalized passage as a whole word."""
    return all(_name_within(w, passage) for w in normalize(run).split())


def _name_within(name: str, passage: str) -> bool:
    """`name` in the normalized passage as a whole name: "OLLAMA_HOST" is not in "OLLAMA_HOSTS", "OLLAMA_KEEP" not in
    "OLLAMA_KEEP_ALIVE". Only an end made of a word character needs a boundary ("/api/chat" is in
    "localhost:11434/api/chat"), and a boundary is any character but an ASCII letter, digit or underscore, so a
    name written against Chinese text (设置OLLAMA_HOST可以) still counts."""
    start = r"(?<![a-z0-9_])" if re.match(r"[a-z0-9_]", name) else ""
    end = r"(?![a-z0-9_])" if re.search(r"[a-z0-9_]$", name) else ""
    return re.search(start + re.escape(name) + end, passage) is not None


# A command the passage shows in code, `ollama rm …`: its program and its subcommand. And a command the answer
# writes where a command goes (after run / use / type / 运行 / 执行 / 输入, or in backticks): the program and the word
# after it. "the ollama user" or "Ollama keeps the layers" is prose, not a command.
_CODE_COMMAND = re.compile(r"`([a-z][\w.-]*) ([a-z][\w-]*)[^`]*`")
_RUN_COMMAND = r"(?:\b(?:run|runs|running|use|using|type|execute|call|with|via)\s+`?|运行|执行|使用|用|输入|`)\s*"


def replaced_commands(answer: str, support: str, *, min_alignment: float) -> list[Contradiction]:
    """Answer sentences that run the program of a command their restated passage sentence shows in code with another
    subcommand, one the passage never writes (not even as a word): "copy it, then run ollama stop on the old name"
    against "copy it and then `ollama rm` the old name". Evidence: the answer's command, then the passage's."""
    found: list[Contradiction] = []
    passage = passage_sentences(support)
    words = set(re.findall(r"[a-z][\w-]*", normalized_passage(support)))
    for raw in sentences(answer):
        aligned = align(mark(raw), passage)
        if aligned is None or aligned[1] < min_alignment:
            continue
        for program, sub in dict.fromkeys(_CODE_COMMAND.findall(aligned[0].text)):
            if re.search(rf"(?<![\w-]){re.escape(program)}\s+{re.escape(sub)}(?![\w-])", raw):
                continue  # the answer gives the passage's command too
            for m in re.finditer(rf"{_RUN_COMMAND}{re.escape(program)}\s+([a-z][\w-]*)", raw):
                if m.group(1) not in words:
                    found.append(Contradiction(raw, aligned[0].text, "command", (f"{program} {m.group(1)}", f"{program} {sub}")))
    return found
