"""Injection pattern families (Chinese and English), shared by the input and the retrieval guardrails.

Pure policy layer. prompt_injection.py scans the user's question with INPUT_FAMILIES; context_injection.py
scans retrieved chunks with CONTEXT_FAMILIES (the same families plus text addressed to the model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FLAGS = re.IGNORECASE | re.MULTILINE


@dataclass(frozen=True)
class PatternFamily:
    """A named group of regexes for one attack technique; a text matches the family if any regex matches."""

    name: str
    patterns: tuple[re.Pattern[str], ...]
    # All patterns as one alternation: one scan answers "does any match?", and benign text (nearly all of
    # it) never pays for the per-pattern scans that collect the snippets.
    any_of: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        combined = "|".join(f"(?:{p.pattern})" for p in self.patterns)
        object.__setattr__(self, "any_of", re.compile(combined, _FLAGS))

    def find(self, text: str) -> list[str]:
        """The matched snippets, in order of the patterns."""
        if self.any_of.search(text) is None:
            return []
        hits: list[str] = []
        for pattern in self.patterns:
            for match in pattern.finditer(text):
                snippet = " ".join(match.group(0).split())
                if snippet and snippet not in hits:
                    hits.append(snippet)
        return hits


def _family(name: str, *patterns: str) -> PatternFamily:
    return PatternFamily(name, tuple(re.compile(p, _FLAGS) for p in patterns))


# Words that make "instructions" point at the assistant's own instructions, not at a README's.
_EARLIER = (
    r"(?:all\s+(?:the\s+)?)?(?:previous|prior|above|earlier|preceding|former|original|initial|old|system)"
    r"(?:\s+(?:and|&)\s+(?:following|subsequent|later|below))?"
)
_RULES = (
    r"(?:instructions?|rules|guidelines|directions|directives|prompts?|commands|constraints|restrictions"
    r"|guardrails|policies|conversations?|messages|context)"
)
_ZH_EARLIER = r"(?:之前|以上|上面|前面|先前|此前|上述|原来|原有|所有|全部|你的|系统)"
_ZH_RULES = r"(?:指令|指示|提示词?|规则|要求|设定|限制|约束)"

INSTRUCTION_OVERRIDE = _family(
    "instruction_override",
    rf"\b(?:ignore|disregard|forget|override|bypass|skip)\s+(?:all\s+|any\s+|every\s+)?(?:of\s+)?"
    rf"(?:the\s+|your\s+|my\s+)?{_EARLIER}\s+(?:\w+\s+)?{_RULES}",
    rf"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+)?(?:of\s+)?your\s+(?:\w+\s+)?{_RULES}",
    rf"\b(?:ignore|disregard|forget)\s+(?:all|everything)\s+(?:the\s+)?(?:{_RULES}\s+)?"
    r"(?:you\s+(?:were\s+told|were\s+given|have\s+been\s+(?:told|given)|learned|learnt|know)\s+"
    r"|(?:said|written|stated)\s+)?(?:above|before|previously|so\s+far)",
    r"\b(?:ignore|disregard)\s+all\s+(?:the\s+)?instructions\s+you\s+(?:got|received|were\s+given)",
    r"\bdo\s+not\s+follow\s+(?:your|the|any)\s+(?:previous\s+|prior\s+|above\s+|system\s+)?"
    r"(?:instructions|rules|guidelines)",
    r"\b(?:your\s+)?new\s+(?:system\s+)?instructions\s*(?::|are\b)",
    r"\b(?:ignore|disregard)\s+(?:the\s+|your\s+|all\s+)?"
    r"(?:knowledge\s+base|documents|sources|retrieved\s+(?:context|passages))\b",
    r"\bstop\s+everything\b[\s\S]{0,40}?\b(?:print|say|output|write)\b",
    rf"忽略(?:掉)?{_ZH_EARLIER}(?:的)?(?:所有|全部|一切)?(?:的)?(?:{_ZH_RULES}|内容|对话|信息)",
    rf"(?:无视|忘记|忘掉|抛开|不要理会|别管)(?:掉)?{_ZH_EARLIER}(?:的)?(?:所有|全部|一切)?(?:的)?{_ZH_RULES}",
    r"(?:无视|忽略)(?:掉)?(?:知识库|文档|资料|检索到的内容|上下文)",
    r"(?:你的)?新(?:的)?(?:指令|指示|规则|任务|设定)(?:是|如下|为)\s*[:：]?",
    r"不要(?:再)?遵守",
    r"不(?:必|用|需要)(?:再)?遵守",
)

_NO_LIMITS = r"(?:unrestricted|unfiltered|uncensored|jailbroken|evil|amoral|unethical)"
ROLE_PLAY = _family(
    "role_play_jailbreak",
    rf"\byou\s+are\s+(?:now\s+)?(?:going\s+to\s+(?:act|be)\s+(?:as\s+)?)?(?:DAN|STAN|DUDE|AIM|an?\s+{_NO_LIMITS})\b",
    r"\bdo\s+anything\s+now\b",
    r"\bpretend\s+(?:that\s+)?you\s+(?:are|were|have|had)\s+(?:[\w-]+\s+){0,6}?(?:no|not\s+any|without(?:\s+any)?)"
    r"\s+(?:\w+\s+)?(?:restrictions|rules|limits|limitations|filters|guidelines|morals|ethics)",
    rf"\bpretend\s+to\s+be\s+an?\s+{_NO_LIMITS}\b",
    rf"\b(?:act|behave|respond|answer)\s+as\s+(?:if\s+you\s+(?:were|are)\s+)?an?\s+{_NO_LIMITS}\b",
    r"\b(?:pretend\s+to\s+be|act\s+as|you\s+are\s+now|role\s+of)\s+(?:another\s+AI\s+model\s+known\s+as\s+)?"
    r"(?:DAN|STAN|DUDE|AIM)\b",
    r"\b(?:with|in|enable|enabled|activate|enter|simulate)\s+developer\s+mode\b",
    r"\bdeveloper\s+mode\s+(?:enabled|activated|on|output)\b",
    r"\b(?:DAN|STAN|DUDE|jailbreak|jailbroken|god|evil|opposite|unrestricted|uncensored|unfiltered)\s+mode\b",
    # A persona set up for the assistant (second person), followed by talk of dropping its limits.
    r"\b(?:you\s+(?:are|will|'re|shall)\s+(?:now\s+)?(?:going\s+to\s+|about\s+to\s+|be\s+)?"
    r"(?:act|pretend|play|pose|simulate|immerse|operate|respond|answer|roleplay)"
    r"|(?:act|respond|answer)\s+as\s+(?:an?\s+)?(?:AI|chatbot|character|model)"
    r"|let'?s\s+(?:do\s+a\s+|have\s+a\s+)?role-?play|(?:immerse|put)\s+yourself\s+in(?:to)?\s+the\s+role"
    r"|pretend\s+to\s+be)\b"
    r"(?=[\s\S]{0,600}?\b(?:restrict\w*|filter(?:s|ed)?|censor\w*|uncensor\w*|unfiltered|ethic\w*|moral\w*|amoral"
    r"|immoral|content\s+polic(?:y|ies)|unhinged|confines|norms|broken\s+free|abide\s+by)\b)",
    # Dual-response jailbreaks: "answer every prompt in two different ways".
    r"\b(?:answer|respond|reply)\w*\b[^.\n]{0,60}?\bin\s+two\s+(?:different\s+|separate\s+|distinct\s+)*"
    r"(?:ways|manners|styles|forms)\b",
    r"\btwo\s+(?:different\s+|separate\s+|distinct\s+)*(?:responses|personalities)\b[^.\n]{0,80}?\b(?:one|first)\b",
    r"\b(?:without|free\s+of|free\s+from)\s+any\s+(?:ethical|moral)\s+(?:restrictions|guidelines|constraints)",
    r"\bjailbreak(?:ed|ing)?\s+(?:mode|prompt|yourself|you)\b",
    r"假装你(?:是|没有|不受)",
    r"扮演(?:一个|一位|一名)?(?:没有|不受|无)(?:任何)?(?:限制|约束|道德|规则|审查)",
    # "越狱" alone is also the name of the topic ("角色扮演类越狱是什么"): require it to be switched on.
    r"(?:进入|开启|启用|切换到|激活)越狱模式|越狱(?:模式|版)(?:已)?(?:开启|启动|激活)|你(?:已经|已)?被越狱|越狱成功",
    r"你(?:现在|从现在起|从现在开始)?不(?:再)?受(?:任何)?(?:规则|限制|约束|审查)",
    r"你现在是\s*(?:DAN|一个没有限制|一个不受)",
    r"开发者模式",
    r"不受(?:任何)?(?:限制|约束|规则)的(?:AI|人工智能|助手|模型|机器人)",
)

# Extraction must be an imperative aimed at the assistant ("your"/"你的" + a reveal verb, or "the ...
# above"), so "How do I set a system prompt in a Modelfile?" and "系统提示词在 Modelfile 里怎么写" pass.
_REVEAL = (
    r"(?:print|show|reveal|repeat|display|output|leak|dump|disclose|tell\s+me|give\s+me|share|write\s+out"
    r"|recite|spell\s+out)"
)
_PROMPT = (
    r"(?:(?:system|initial|original|hidden|secret|internal|full|exact|developer)\s+)*"
    r"(?:prompts?|instructions|rules|guidelines|configuration)"
)
_ZH_REVEAL = r"(?:输出|告诉我|显示|展示|透露|泄露|打印|重复|复述|给我看|发给我|贴出|说出|列出)"
PROMPT_EXTRACTION = _family(
    "system_prompt_extraction",
    rf"\b{_REVEAL}\s+(?:me\s+|us\s+)?(?:all\s+(?:of\s+)?)?your\s+{_PROMPT}",
    rf"\b{_REVEAL}\s+(?:me\s+|us\s+)?the\s+{_PROMPT}\s+"
    r"(?:above|you\s+(?:were|have\s+been)\s+given|given\s+to\s+you|you\s+received)",
    rf"\b{_REVEAL}\s+(?:me\s+|us\s+)?(?:everything|all|the\s+text|the\s+words)\s+"
    r"(?:above|before\s+this|written\s+above|that\s+came\s+before)",
    rf"\b{_REVEAL}\s+(?:me\s+)?(?:the\s+)?(?:first|initial|original|very\s+first)\s+(?:message|instructions?|prompt)"
    r"\s+(?:you\s+(?:received|got|were\s+given)|in\s+this\s+conversation)",
    r"\bwhat\s+(?:is|are|was|were)\s+your\s+(?:(?:system|initial|original|hidden|secret)\s+)+(?:prompt|instructions)",
    r"\bwhat\s+(?:is|are|was|were)\s+your\s+(?:instructions|rules)\s*\?",
    r"\bwhat\s+were\s+you\s+told\s+(?:before|at\s+the\s+start|in\s+your\s+(?:prompt|instructions))",
    rf"{_ZH_REVEAL}(?:一下)?(?:你的|你被给予的|你收到的)(?:系统|初始|原始|隐藏|内部)?"
    r"(?:提示词|提示|指令|指示|设定|规则|prompt)",
    r"你的(?:系统|初始|原始|隐藏)(?:提示词|提示|指令|prompt)(?:是什么|是啥|有哪些|内容)",
    rf"{_ZH_REVEAL}(?:一下)?你(?:收到|接收到|看到)的(?:第一条|第一个|最初的|最开始的|最早的)(?:消息|指令|提示|内容|话)",
    r"原样(?:输出|打印|重复|复述)(?:你的|以上|上面|前面)",
    r"把你的(?:系统)?(?:提示词|提示|指令|设定)(?:原样|完整|全部)?(?:输出|打印|告诉|发|给|写)",
)

# Forged conversation turns: chat-template delimiters or role labels followed by text. Template variables
# ("<|im_start|>system\n{{ .System }}") and stop tokens in Modelfile documentation are not forged turns.
_TEXT_FOLLOWS = r"(?!\{\{|\"\"\"|<\|)[A-Za-z\u4e00-\u9fff]"
FAKE_TURN = _family(
    "fake_turn_delimiter",
    rf"<\|im_start\|>\s*(?:system|assistant|user)\b[ \t]*\n?[ \t]*{_TEXT_FOLLOWS}",
    rf"<\|(?:system|assistant)\|>\s*{_TEXT_FOLLOWS}",
    rf"\[INST\]\s*{_TEXT_FOLLOWS}|<<SYS>>\s*{_TEXT_FOLLOWS}",
    r"^[ \t]*(?:system|assistant)[ \t]*[:：][ \t]*\S",
)

# Only meaningful inside retrieved documents: text that talks to the model rather than to a reader.
MODEL_ADDRESSED = _family(
    "addressed_to_model",
    r"\b(?:print|output|say|respond\s+with|reply\s+with)\s+(?:exactly|verbatim)\b",
    r"\byou\s+must\s+now\b",
    r"\bas\s+an\s+(?:AI|A\.I\.|artificial\s+intelligence|language\s+model|LLM)\b",
    r"\b(?:AI|assistant|chatbot|language\s+model|LLM)s?\s*[,:]\s*(?:please\s+)?"
    r"(?:ignore|print|output|say|respond|reply|tell|include|append|add)\b",
    r"\bwhen\s+(?:an?\s+)?(?:AI|assistant|language\s+model|LLM)\s+(?:reads|sees|processes)\s+this",
    r"你现在必须",
    r"请输出",
    r"(?:AI|人工智能)\s*(?:助手|模型)\s*[，,：:]?\s*请(?!求)",
    r"(?:AI|人工智能)\s*[，,：:]\s*请(?!求)",
    r"作为一个(?:AI|人工智能)|作为(?:AI|人工智能)(?:助手|语言模型)",
)

INPUT_FAMILIES: tuple[PatternFamily, ...] = (INSTRUCTION_OVERRIDE, ROLE_PLAY, PROMPT_EXTRACTION, FAKE_TURN)
CONTEXT_FAMILIES: tuple[PatternFamily, ...] = (*INPUT_FAMILIES, MODEL_ADDRESSED)


def scan(text: str, families: tuple[PatternFamily, ...]) -> dict[str, list[str]]:
    """family name -> matched snippets, for the families that match (empty dict: nothing matched)."""
    found: dict[str, list[str]] = {}
    for family in families:
        hits = family.find(text)
        if hits:
            found[family.name] = hits
    return found
