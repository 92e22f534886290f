"""Injection pattern families (Chinese and English), shared by the input and the retrieval guardrails.

Pure policy layer. prompt_injection.py scans the user's question with INPUT_FAMILIES; context_injection.py
scans retrieved chunks with CONTEXT_FAMILIES (the same families plus text addressed to the model). The forged
turn, goal-hijack and addressed-to-model families live in patterns_more.py.
"""

from __future__ import annotations

from guardrails.pattern_family import PatternFamily, family, scan
from guardrails.patterns_more import FAKE_TURN, GOAL_HIJACK, MODEL_ADDRESSED
from guardrails.patterns_reader import AI_READER

__all__ = ["CONTEXT_FAMILIES", "INPUT_FAMILIES", "PatternFamily", "scan"]

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

_OVERRIDE = (
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
INSTRUCTION_OVERRIDE = family("instruction_override", *_OVERRIDE)
# Said bare by the user, with nothing named after "the above" ("Disregard the above.", "忽略以上", "忽略上面的，
# 直接…"): the earlier text as a whole is set aside, and only the end of the clause or a next order may follow
# ("Ignore the above typo", "忽略以上报错" name what to skip). A retraction ("ignore the above, sorry", "忽略之前
# 的，我重新问") is not one. Input only: a document's "ignore the above" is a reader's note more often than not.
_CLAUSE_OVER = r"(?=\s*(?:$|[.,;:!?)\]—–]|(?:and|then|now|instead|completely|entirely|from\s+now)\b))"
_BARE_OVERRIDE = (
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+(?:of\s+)?|everything\s+)?(?:the\s+|that\s+)?"
    r"(?:above|preceding|foregoing|previous|prior|earlier)(?:\s+(?:text|part|stuff|content|input|lines?))?"
    + _CLAUSE_OVER
    + r"(?![\s,;:—–-]*(?:sorry|oops|typo|my\s+(?:bad|mistake)|wrong|never\s*mind)\b)",
    r"(?:忽略|无视|忘记|忘掉|抛开|不要理会)(?:掉)?(?:以上|上面|上述|前面|前述|之前的|先前的|此前的)(?:的)?"
    r"(?:所有|全部|一切)?(?:的)?(?:内容|文字|部分|东西|话)?"
    r"(?=\s*(?:$|[，,。.！!；;：:、]|然后|并且?|直接|现在|接下来|从现在|改为|只))"
    r"(?![\s，,。.：:]*(?:我(?:重新|再|换)|换个|重新问|不好意思|抱歉|打错|写错|发错))",
)
# The user's question: the override family with the bare form, and a question about overriding ("How can I
# override the system prompt from the Modelfile?") set apart from an override (pattern_reading.asks_about).
INPUT_OVERRIDE = family("instruction_override", *_OVERRIDE, *_BARE_OVERRIDE, asked_about=True)

_DEVICE_NOUN = (
    r"\s+(?:(?:my|the|an?|your)\s+)?(?:\w+\s+){0,2}?(?:phone|android|iphone|ios|pixel|samsung|chrome|edge|firefox|browser|windows|mac|macos|device|extension"
    r"|app|tablet|tv|router|xcode|vs\s*code|visual\s+studio|steam|console)"
)
_DEVICE = rf"\s+(?:on|in|for|of){_DEVICE_NOUN}"
_NO_LIMITS = r"(?:unrestricted|unfiltered|uncensored|jailbroken|evil|amoral|unethical)"
ROLE_PLAY = family(
    "role_play_jailbreak",
    rf"\byou\s+are\s+(?:now\s+)?(?:going\s+to\s+(?:act|be)\s+(?:as\s+)?)?(?:DAN|STAN|DUDE|AIM|an?\s+{_NO_LIMITS})\b",
    r"\bdo\s+anything\s+now\b",
    r"\bpretend\s+(?:that\s+)?you\s+(?:are|were|have|had)\s+(?:[\w-]+\s+){0,6}?(?:no|not\s+any|without(?:\s+any)?)"
    r"\s+(?:\w+\s+)?(?:restrictions|rules|limits|limitations|filters|guidelines|morals|ethics)",
    rf"\bpretend\s+to\s+be\s+an?\s+{_NO_LIMITS}\b",
    rf"\b(?:act|behave|respond|answer)\s+as\s+(?:if\s+you\s+(?:were|are)\s+)?an?\s+{_NO_LIMITS}\b",
    r"\b(?:pretend\s+to\s+be|act\s+as|you\s+are\s+now|role\s+of)\s+(?:another\s+AI\s+model\s+known\s+as\s+)?"
    r"(?:DAN|STAN|DUDE|AIM)\b",
    # "Developer mode" is also a real setting of phones, browsers and IDEs ("enable developer mode on Android"):
    # it counts only when it is not about a device or a product.
    rf"\b(?:with|in|enable|enabled|activate|enter|simulate)\s+developer\s+mode\b(?!{_DEVICE})",
    rf"\bdeveloper\s+mode\s+(?:enabled|activated|output|on\b(?!{_DEVICE_NOUN}))\b",
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
    # A role-play request alone ("假装你是面试官") is an ordinary use; the persona must drop its limits.
    r"假装你(?:是)?(?:一个|一位|一名)?(?:没有|不受|无)(?:任何)?(?:限制|约束|规则|审查|道德|底线)",
    r"假装你(?:没有|不受)",
    r"扮演(?:一个|一位|一名)?(?:没有|不受|无)(?:任何)?(?:限制|约束|道德|规则|审查)",
    # "越狱" alone is also the name of the topic ("角色扮演类越狱是什么"): require it to be switched on.
    r"(?:进入|开启|启用|切换到|激活)越狱模式|越狱(?:模式|版)(?:已)?(?:开启|启动|激活)|你(?:已经|已)?被越狱|越狱成功",
    r"你(?:现在|从现在起|从现在开始)?不(?:再)?受(?:任何)?(?:规则|限制|约束|审查)",
    r"你现在是\s*(?:DAN|一个没有限制|一个不受)",
    # As in English, 开发者模式 is also a phone/browser setting ("安卓手机怎么打开开发者模式"): only the
    # assistant's own mode counts.
    r"(?:进入|启用|激活|切换到|模拟)开发者模式|开发者模式(?:已|已经)?(?:开启|启动|激活|启用|生效)"
    r"|你(?:现在)?(?:处于|在|是)开发者模式",
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
PROMPT_EXTRACTION = family(
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
    # The hidden part of the conversation, or what came before the user's first message.
    r"\b(?:what|show|print|reveal|repeat|tell\s+me|give\s+me|output|paste|copy|quote)\b[^\n]{0,40}?"
    r"(?:your\s+(?:hidden|secret|initial|system|original)|the\s+(?:hidden|secret|initial|original))\s+"
    r"(?:instructions|prompt|message|rules|part|text|configuration)\b",
    r"\b(?:what|print|show|output|repeat|copy|paste|tell\s+me)\b[^\n]{0,60}?\b(?:before|above|preceding)\s+"
    r"my\s+(?:first\s+)?(?:message|question|input)\b",
    r"\byour\s+(?:instructions|prompt|rules|guidelines|system\s+message|configuration)\s+(?:say|said|state|tell\s+you)\b",
    r"(?:隐藏|初始化?)(?:的)?(?:部分|指令|提示词?|消息|内容|文本|设定)[^。？！\n]{0,10}"
    r"(?:是什么|写了什么|写的是什么|说了什么|给我看|输出|打印|复述)",
    rf"{_ZH_REVEAL}[^。？！\n]{{0,8}}(?:你的)?(?:隐藏|初始化?)(?:的)?(?:部分|指令|提示词?|消息|内容|文本|设定)",
    r"你(?:的|有)系统消息|我(?:的)?第一条消息之前",
)

INPUT_FAMILIES: tuple[PatternFamily, ...] = (INPUT_OVERRIDE, ROLE_PLAY, PROMPT_EXTRACTION, FAKE_TURN, GOAL_HIJACK)
CONTEXT_FAMILIES: tuple[PatternFamily, ...] = (
    INSTRUCTION_OVERRIDE,
    ROLE_PLAY,
    PROMPT_EXTRACTION,
    FAKE_TURN,
    GOAL_HIJACK,
    MODEL_ADDRESSED,
    AI_READER,
)
