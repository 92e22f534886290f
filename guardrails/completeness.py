"""Input guardrail: asks a clarifying question when the question cannot be answered as written.

Pure policy layer, input stage, no model call; lexical, zh + en. Catches references to nothing ("Is this plan
reasonable?"), requests without material ("Fix this."), choices without candidates ("哪个更好？"), no content ("help").
"""

from __future__ import annotations

from collections.abc import Iterable

import re
from dataclasses import dataclass as plain_dataclass
from typing import ClassVar, Literal

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.base import FailMode, GuardContext, Stage, Verdict
from guardrails.text import STOPWORDS_EN, is_cjk, lang_of, normalize

Kind = Literal["ref", "placeholder", "category", "generic", "verb", "connector", "anchor", "break"]
Missing = Literal["referent", "object", "candidates", "content"]

# --- English lexicon -------------------------------------------------------------------------------
# References that need something to point at.
_REFS_EN = frozenset("this that these those it its they them above below following here".split())
# References that point at material above or below rather than at a named thing.
_POINTERS = frozenset("above below following 上面 上面的 上述 以上 刚才 刚刚 前面 前述 下面 下面的 以下 如下".split())
# Nouns that stand for material the user did not give ("this plan", "my code"): never concrete on their own.
_PLACEHOLDERS_EN = frozenset(
    """plan plans code file files text texts document doc article paragraph sentence essay email letter message
    error errors script snippet function program query approach solution design proposal draft content passage
    output result results screenshot image picture example thing things stuff one ones idea ideas version data
    problem problems issue issues question questions answer""".split()
)
# Category nouns: concrete enough in general ("What is a model?"), but "this parameter" still names nothing.
_CATEGORIES_EN = frozenset(
    """parameter parameters variable variables setting settings option options command commands value values
    field fields model models tool tools library package feature features flag flags key port step steps
    method api endpoint config configuration part section chapter page link word term line""".split()
)
# Request verbs whose object must be supplied material ("review this", "translate the following").
_VERBS_EN = frozenset(
    """review check fix translate summarize summarise proofread rewrite improve optimize optimise debug edit
    analyze analyse refactor evaluate assess polish shorten simplify paraphrase judge grade correct explain
    critique rate""".split()
)
# Words that carry no topic for this purpose: stopwords, fillers, evaluative adjectives, light verbs.
_GENERIC_EN = STOPWORDS_EN | frozenset(
    """help please pls plz thanks thank hi hello hey ok okay sure yeah well really actually exactly still even
    now today mean means meaning meant work works working worked happen happens happened happening go goes
    going went get gets got getting make makes made need needs want wants know think say says said see look
    looks looking like try trying tried give tell show use using used write run wrong reasonable correct
    right good bad better best fine possible true false valid sense sensible feasible worth enough wise fair
    great nice useful okay something anything everything nothing whatever lot kind sort whether anyone
    someone somebody else why whats hows""".split()
) | frozenset(
    # Attribute nouns: "the default for that", "the difference" name a property, not the thing itself.
    """default defaults difference differences reason reasons cause causes purpose meaning size limit cost
    price benefit benefits advantage advantages disadvantage disadvantages pros cons alternative alternatives
    requirement requirements usage"""
    # Comparatives: "make it faster" says how, not what.
    """ faster slower worse bigger smaller cheaper shorter longer simpler cleaner clearer quicker easier
    harder safer"""
    # Diagnostic predicates: "my command is failing" says something is wrong, not what.
    """ fail fails failing failed broken mistake mistakes bug bugs buggy crash crashes crashing crashed""".split()
)
_CONNECTORS_EN = frozenset("or vs versus and".split())

# --- Chinese lexicon (longest match over each CJK run; what is left over, 2+ characters, is content) ---
_REFS_ZH = frozenset(
    """这个 那个 它 它们 上面 上面的 刚才 刚刚 这段 那段 该 此 这些 那些 这里 那里 上述 以上 下面 下面的 以下 如下
    这种 那种 这样 这份 那份 这条 那条 这句 这篇 这块 这部分 前面 前述 这 那""".split()
)
_PLACEHOLDERS_ZH = frozenset(
    """方案 代码 文件 问题 报错 错误 文本 文字 文章 段落 句子 话 内容 脚本 函数 程序 邮件 计划 想法 思路 做法 方法
    办法 写法 设计 提议 草稿 结果 输出 截图 图片 日志 数据 例子 东西 情况 事 事情""".split()
)
_CATEGORIES_ZH = frozenset(
    "参数 变量 环境变量 设置 选项 命令 值 字段 模型 工具 库 功能 配置 端口 版本 步骤 接口 部分 章节 页面 链接 词 概念 术语".split()
)
_VERBS_ZH = frozenset(
    """检查 看看 看一下 看下 修改 修复 改一下 改改 翻译 总结 概括 解释 优化 改进 润色 审查 审阅 分析 评价 评估 判断
    调试 重写 改写 精简 校对 点评""".split()
)
_GENERIC_ZH = frozenset(
    """请 请问 帮我 帮忙 帮 帮帮我 麻烦 一下 下 瞧瞧 是否 合理 有没有 有什么 什么 怎么 怎么办 怎么样 怎样 如何 为什么
    为何 哪个 哪些 哪里 哪 吗 呢 吧 啊 呀 么 是 是不是 的 了 有 没有 对 对不对 对吗 正确 错 好 好不好 行 行不行 可以
    可行 能 能不能 会 会不会 要 需要 应该 意思 含义 意义 说 讲 做 弄 搞 用 你 我 我的 你的 我们 他 她 谢谢 你好 您好
    在 更 比较 最 好用 一个 个 这么 那么 因此 此外 如此 彼此 其它 其他 其中 现在 一些 一点 问 想 想要 知道 告诉 告诉我
    给 给我 写 看 合适 适合 推荐 建议 更好 靠谱 对劲 出错 不 没 都 也 就 还 又 再 很 太 解决 处理 回事 到底 究竟
    为啥 咋 咋办 啥 干嘛 里 中 上 能否 是啥 我们的 多少 几 几个 按照 根据 关于 通过 一版 再来 一遍 一次""".split()
) | frozenset(
    # Attribute nouns, comparatives and diagnostic predicates, as in English above.
    """默认 默认值 区别 差别 不同 原因 作用 用途 含义 大小 限制 优点 缺点 优缺点 好处 坏处 要求 用法 更快 更小 更短
    快点 快一点 失败 报错了 出错了 不工作 不能用 不行 跑不起来 不对 有问题""".split()
)
# Leftover stretches made only of these characters are not content ("改一版", "再说").
_FUNCTION_CHARS_ZH = frozenset("一二两三再改版次遍下些把被给让对从向于为之其也都就还又很太得地着过来去到说做看要能会想用写问该")
# The user's own artefact ("my Docker command", "我的配置") said to be broken, but not shown.
_POSSESSIVES = frozenset(("my", "our", "我的", "我们的"))
_MATERIALS = frozenset(
    """code script config configuration command commands modelfile dockerfile file setup prompt query program
    function output log logs yaml json regex sql template 代码 脚本 配置 命令 文件 日志 程序 提示词 函数 模板 正则""".split()
)
_DIAGNOSTIC_RE = re.compile(
    r"\b(?:fail|fails|failing|failed|broken|wrong|mistakes?|errors?|bugs?|buggy|crash(?:es|ing|ed)?"
    r"|(?:does\s*not|doesn't|don't|won't|isn't|not)\s+work(?:ing)?)\b"
    r"|报错|出错|错误|失败|有问题|不工作|不能用|不行|跑不起来|不对|哪里错|什么问题"
)
_CONNECTORS_ZH = frozenset("还是 和 与 跟 或者 或 以及 及 对比".split())

_ZH_LEXICON: dict[str, Kind] = {}
_ZH_GROUPS: tuple[tuple[Iterable[str], Kind], ...] = (
    (_GENERIC_ZH, "generic"),
    (_CATEGORIES_ZH, "category"),
    (_PLACEHOLDERS_ZH, "placeholder"),
    (_VERBS_ZH, "verb"),
    (_REFS_ZH, "ref"),
    (_CONNECTORS_ZH, "connector"),
)
for _words, _kind in _ZH_GROUPS:
    for _word in _words:
        _ZH_LEXICON[_word] = _kind  # later groups win: "和" is a connector, not filler
_ZH_MAX = max(len(w) for w in _ZH_LEXICON)

_QUOTED_OR_CODE = (
    r"```.*?(?:```|\Z)"  # fenced code
    r'|`[^`\n]+`|"[^"\n]+"|“[^”\n]+”|「[^」\n]+」|『[^』\n]+』'
)
_UNIT_RE = re.compile(
    rf"(?P<quoted>{_QUOTED_OR_CODE})"
    r"|(?P<word>[a-z0-9_]+(?:[.:/\-'][a-z0-9_]+)*)"
    r"|(?P<cjk>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
    r"|(?P<colon>[:：])"
    r"|(?P<newline>\n)"
    r"|(?P<list>[、/])"
    r"|(?P<brk>[,.;!?，。；！？()（）\[\]【】<>《》])",
    re.DOTALL,
)

# Comparison without candidates: "which is better", "which one", "哪个更好", "选哪个".
_COMPARE_RES = (
    re.compile(r"\bwhich\s+(?:one|ones)\b"),
    re.compile(r"\bwhich\s+of\s+(?:them|these|those|the\s+two)\b"),
    re.compile(
        r"\bwhich\s+(?:is|are|would\s+be|will\s+be|'s)\s+(?:the\s+)?"
        r"(?:better|best|preferable|faster|cheaper|recommended|more\s+\w+|less\s+\w+)\b"
    ),
    re.compile(
        r"\bwhich\s+(?:should|would|do|could)\s+(?:i|you|we)\s+"
        r"(?:use|choose|pick|take|buy|go\s+with|recommend|prefer|suggest)\b"
    ),
    re.compile(r"\bwhat(?:'s|\s+is)\s+better\b"),
    re.compile(r"哪(?:个|一个|种|一种|款|些|样|家)?(?:更|比较|最)?(?:好|合适|适合|推荐|划算|快|强|优秀|靠谱)"),
    re.compile(r"选哪(?:个|一个|种|款|样)"),
)


@plain_dataclass(frozen=True)
class _Unit:
    kind: Kind
    text: str
    pos: int


@plain_dataclass(frozen=True)
class _Gap:
    missing: Missing
    phrase: str  # the words that need filling in, e.g. "this plan"
    noun: str = ""  # placeholder noun of a missing object, e.g. "code"
    verb: str = ""  # request verb of a missing object, e.g. "review"


def _units(text: str) -> list[_Unit]:
    units: list[_Unit] = []
    for match in _UNIT_RE.finditer(text):
        group, value, pos = match.lastgroup, match.group(0), match.start()
        if group == "quoted":
            units.append(_Unit("anchor", value, pos))
        elif group == "word":
            units.append(_Unit(_english_kind(value), value, pos))
        elif group == "cjk":
            units.extend(_chinese_units(value, pos))
        elif group == "list":
            units.append(_Unit("connector", value, pos))
        else:  # colon, newline and other punctuation end a phrase
            units.append(_Unit("break", value, pos))
    return units


def _english_kind(word: str) -> Kind:
    head = word.split("'")[0]  # "it's" -> "it", "what's" -> "what"
    if head in _REFS_EN:
        return "ref"
    if head in _CONNECTORS_EN:
        return "connector"
    if head in _VERBS_EN:
        return "verb"
    if head in _PLACEHOLDERS_EN:
        return "placeholder"
    if head in _CATEGORIES_EN:
        return "category"
    if head in _GENERIC_EN or (len(head) == 1 and head.isalpha()):
        return "generic"
    return "anchor"


def _chinese_units(run: str, offset: int) -> list[_Unit]:
    """Greedy longest match against the lexicon; leftover stretches of 2+ characters are content."""
    units: list[_Unit] = []
    rest_start = -1
    i = 0

    def flush_rest(end: int) -> None:
        if rest_start >= 0:
            piece = run[rest_start:end]
            content = len(piece) >= 2 and any(c not in _FUNCTION_CHARS_ZH for c in piece)
            units.append(_Unit("anchor" if content else "generic", piece, offset + rest_start))

    while i < len(run):
        for size in range(min(_ZH_MAX, len(run) - i), 0, -1):
            kind = _ZH_LEXICON.get(run[i : i + size])
            if kind is not None:
                flush_rest(i)
                rest_start = -1
                units.append(_Unit(kind, run[i : i + size], offset + i))
                i += size
                break
        else:
            if rest_start < 0:
                rest_start = i
            i += 1
    flush_rest(len(run))
    return units


def _has_anchor(units: list[_Unit]) -> bool:
    return any(u.kind in ("anchor", "category") for u in units)


def _material_after(units: list[_Unit], index: int) -> bool:
    """Supplied material after position `index`: quoted text or code, or words after a colon or newline."""
    after = units[index + 1 :]
    if any(u.kind == "anchor" and u.text[:1] in '`"“「『' for u in after):
        return True
    for j, unit in enumerate(after):
        if unit.kind == "break" and unit.text in (":", "：", "\n"):
            if any(u.kind != "break" for u in after[j + 1 :]):
                return True
    return False


def _concrete_after(units: list[_Unit], index: int) -> bool:
    """A name right after the reference ("this variable OLLAMA_KEEP_ALIVE", "这个参数 num_ctx")."""
    for unit in units[index + 1 : index + 4]:
        if unit.kind in ("placeholder", "category"):
            continue
        return unit.kind == "anchor"
    return False


def _noun_after(units: list[_Unit], index: int) -> str:
    nxt = units[index + 1] if index + 1 < len(units) else None
    return nxt.text if nxt is not None and nxt.kind in ("placeholder", "category") else ""


def _find_gaps(units: list[_Unit], text: str) -> list[_Gap]:
    gaps: list[_Gap] = []
    anchors_anywhere = _has_anchor(units)
    handled: set[int] = set()
    # (b') "why is my Docker command failing?": the user's own artefact is broken but not shown
    if _DIAGNOSTIC_RE.search(text):
        for i, unit in enumerate(units):
            if unit.text not in _POSSESSIVES:
                continue
            for j in range(i + 1, min(i + 4, len(units))):
                if units[j].text in _MATERIALS:
                    span = units[i + 1 : j + 1]
                    others = units[:i] + units[j + 1 :]
                    if not _has_anchor(others) and not _material_after(units, j):
                        noun = (" " if units[j].text.isascii() else "").join(u.text for u in span)
                        gaps.append(_Gap("object", _phrase(unit.text, noun), noun=noun))
                        handled.update(range(i, j + 1))
                    break
                if units[j].kind not in ("anchor", "category"):
                    break
    # (b) a request verb whose object is a reference or a placeholder noun with nothing supplied
    for i, unit in enumerate(units):
        if unit.kind != "verb" or i in handled:
            continue
        for j in range(i + 1, min(i + 5, len(units))):
            obj = units[j]
            if obj.kind in ("generic", "verb"):
                continue
            if obj.kind in ("ref", "placeholder") and not _resolved_in_question(units, j, anchors_anywhere):
                noun = obj.text if obj.kind == "placeholder" else _noun_after(units, j)
                phrase = _phrase(obj.text, noun) if obj.kind == "ref" else obj.text
                gaps.append(_Gap("object", phrase, noun=noun, verb=unit.text))
                handled.update({j, j + 1})
            break
    # (a) references with nothing to point at
    for i, unit in enumerate(units):
        if unit.kind != "ref" or i in handled:
            continue
        if not _resolved_in_question(units, i, anchors_anywhere):
            gaps.append(_Gap("referent", _phrase(unit.text, _noun_after(units, i))))
    return gaps


def _phrase(ref: str, noun: str) -> str:
    if not noun:
        return ref
    return f"{ref} {noun}" if ref.isascii() else ref + noun


def _resolved_in_question(units: list[_Unit], index: int, anchors_anywhere: bool) -> bool:
    unit = units[index]
    if _concrete_after(units, index) or _material_after(units, index):
        return True
    if unit.kind == "ref" and not _noun_after(units, index) and unit.text not in _POINTERS:
        # A bare pronoun ("it", "它") can point at any named thing in the question, before or after it.
        return anchors_anywhere
    # "this plan", "the above", "my code": only something described earlier in the question resolves it.
    return _has_anchor(units[:index])


def _candidates_given(units: list[_Unit]) -> bool:
    """Two named options joined by or/vs/and/还是/和/、 ("Q4_K_M or Q8_0", "A 还是 B"), or listed after a colon."""
    for i, unit in enumerate(units):
        if unit.kind == "break" and unit.text in (":", "："):
            if sum(1 for u in units[i + 1 :] if u.kind in ("anchor", "category")) >= 2:
                return True
    for i in range(1, len(units) - 1):
        if units[i].kind == "connector" and units[i - 1].kind in ("anchor", "category") and units[i + 1].kind in (
            "anchor",
            "category",
        ):
            return True
    return False


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class CompletenessGuardrail:
    name: ClassVar[str] = "completeness"
    stage: ClassVar[Stage] = "input"

    use_history: bool = Field(
        default=True,
        description="An earlier turn that names something resolves references, objects and comparisons.",
    )
    min_content_words: int = Field(
        default=1,
        ge=1,
        description="Fewest content words (names, topic words; not fillers like 'help' or '怎么办') a question needs.",
    )
    max_questions: int = Field(default=3, ge=1, le=3, description="Most clarifying questions to suggest.")
    # Fails open: this is a usability check, not a safety one. If it breaks, the question goes on to
    # retrieval (the relevance and grounding guardrails still apply) and the errored verdict is recorded.
    fail_mode: FailMode = "open"

    def check(self, ctx: GuardContext) -> Verdict:
        text = normalize(ctx.question).replace("’", "'")
        lang = lang_of(ctx.question)
        units = _units(text)
        history_resolves = self.use_history and any(
            _has_anchor(_units(normalize(turn.content))) for turn in ctx.history
        )
        gaps: list[_Gap] = []
        if not history_resolves:
            gaps = _find_gaps(units, text)
            if any(p.search(text) for p in _COMPARE_RES) and not _candidates_given(units):
                phrase = next(m.group(0) for p in _COMPARE_RES if (m := p.search(text)))
                gaps.append(_Gap("candidates", phrase))
        content_words = sum(1 for u in units if u.kind in ("anchor", "category"))
        has_letters = any(c.isalnum() or is_cjk(c) for c in text)
        if not gaps and content_words < self.min_content_words and (not history_resolves or not has_letters):
            gaps.append(_Gap("content", ctx.question.strip()))

        missing = list(dict.fromkeys(g.missing for g in gaps))
        if not missing:
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=False,
                reason="question names what it is about"
                + (" (earlier turns give the context)" if history_resolves else ""),
                score=0.0,
                details={"missing": [], "questions": []},
            )
        questions = list(dict.fromkeys(_question(g, lang) for g in gaps))
        if "candidates" in missing:
            questions.append(_CRITERIA_QUESTION[lang])
        questions = list(dict.fromkeys(questions))[: self.max_questions]
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=True,
            action="clarify",
            reason="the question is missing " + ", ".join(_REASON[m] for m in missing),
            evidence=tuple(dict.fromkeys(g.phrase for g in gaps if g.phrase)),
            score=float(len(missing)),
            details={"missing": missing, "questions": questions},
        )


_REASON: dict[str, str] = {
    "referent": "what a reference like 'this' or 'it' points to",
    "object": "the material it asks to work on",
    "candidates": "the options to compare",
    "content": "what it is about",
}
_CRITERIA_QUESTION = {
    "en": "Better in what way: speed, quality, memory use or something else?",
    "zh": "你更看重哪方面：速度、效果、内存占用还是别的？",
}


_VERB_DISPLAY_ZH = {"看看": "检查", "看一下": "检查", "看下": "检查", "改一下": "修改", "改改": "修改"}


def _question(gap: _Gap, lang: str) -> str:
    if lang == "zh":
        if gap.missing == "referent":
            return f"“{gap.phrase}”具体指什么？请写出它的名称，或把相关内容贴出来。"
        if gap.missing == "object":
            noun = gap.noun or "内容"
            verb = _VERB_DISPLAY_ZH.get(gap.verb, gap.verb) if is_cjk(gap.verb[:1] or "a") else "处理"
            return f"请把需要{verb}的{noun}直接贴在问题里。"
        if gap.missing == "candidates":
            return "你想比较哪几个选项？请写出候选项，例如“A 还是 B”。"
        return "你想了解什么？请把问题写完整，说明具体对象。"
    if gap.missing == "referent":
        return f'What does "{gap.phrase}" refer to? Please name it or paste it into the question.'
    if gap.missing == "object":
        noun = gap.noun or "text or code"
        verb = gap.verb if gap.verb.isascii() and gap.verb else "work on"
        return f"Please paste the {noun} you want me to {verb} into the question."
    if gap.missing == "candidates":
        return 'Which options do you want to compare? Please name them, e.g. "A or B".'
    return "What would you like to know? Please ask a complete question that names what it is about."
