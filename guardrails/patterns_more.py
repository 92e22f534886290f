"""Pattern families for forged conversation turns, goal hijacking, and (in documents only) text addressed to the
model; the override, role-play and extraction families are in patterns.py.

Pure policy layer (stdlib only).
"""

from __future__ import annotations

from guardrails.pattern_family import family

# Forged conversation turns: chat-template delimiters or role labels followed by text. Template variables
# ("<|im_start|>system\n{{ .System }}") and stop tokens in Modelfile documentation are not forged turns.
_TEXT_FOLLOWS = r"(?!\{\{|\"\"\"|<\|)[A-Za-z\u4e00-\u9fff]"
_OS_NAME = (
    r"(?:linux|ubuntu|debian|fedora|centos|rhel|red\s*hat|rocky|alma|arch|manjaro|mint|opensuse|suse|alpine|nixos"
    r"|windows|win\s?(?:7|8|10|11)|macos|mac\s?os|os\s?x|ios|ipados|android|wsl2?|freebsd|openbsd|chromeos"
    r"|harmonyos|uos|kylin|deepin|openeuler)(?![a-z])|统信|麒麟|鸿蒙|欧拉"
)
# A question about a template token ("What does <|im_start|>system mean in ChatML?") is not a forged turn.
FAKE_TURN = family(
    "fake_turn_delimiter",
    rf"<\|im_start\|>\s*(?:system|assistant|user)\b[ \t]*\n?[ \t]*{_TEXT_FOLLOWS}",
    rf"<\|(?:system|assistant)\|>\s*{_TEXT_FOLLOWS}",
    rf"\[INST\]\s*{_TEXT_FOLLOWS}|<<SYS>>\s*{_TEXT_FOLLOWS}",
    # "System: Ubuntu 22.04" / "系统：Linux，内存 16GB" is a spec line (which operating system), not a forged turn.
    rf"^[ \t]*(?:system|assistant|系统|助手)[ \t]*[:：][ \t]*(?!{_OS_NAME})\S",
    # A bracketed system/admin header in the user's own message: "[SYSTEM]: ...", "【系统消息】...".
    r"^[ \t]*[\[【(（]\s*(?:system|admin|administrator|operator|系统|管理员|运营方)"
    r"(?:\s*(?:message|notice|update|消息|通知|公告|更新))?\s*[\]】)）]",
    asked_about=True,
)

# Goal hijacking: the assistant is handed a different job, a toggle flips its safety off, or a slash command
# asks for a jailbreak. A question about such a setting ("What does GUARDRAILS=false do?") flips nothing.
GOAL_HIJACK = family(
    "goal_hijack",
    r"\byour\s+(?:new|real|only|true|actual|sole)\s+(?:goal|task|job|objective|mission|purpose)\s+(?:is|now)\b",
    r"^[ \t]*new\s+(?:goal|objective|task|mission)\s*:",
    r"\b(?:safety|filters?|guardrails?|restrictions|censorship|moderation)\s*[=:]\s*(?:false|off|0|none|disabled)\b",
    r"(?:^|\s)/(?:jailbreak|dan|devmode|developer[-_]?mode|越狱)(?=\s|$)",
    r"你(?:的|现在的)?(?:新|唯一|真正)的?(?:目标|任务|工作|使命)(?:是|就是|[:：])",
    r"^[ \t]*新(?:目标|任务)\s*[:：]",
    r"(?:安全|过滤|限制|审查|护栏)\s*[=:：]\s*(?:关闭|关|无|否|false|off)",
    asked_about=True,
)

# Only meaningful inside retrieved documents: text that talks to the model rather than to a reader.
MODEL_ADDRESSED = family(
    "addressed_to_model",
    r"\b(?:print|output|say|respond\s+with|reply\s+with)\s+(?:exactly|verbatim)\b",
    r"\byou\s+must\s+now\b",
    r"\bas\s+an\s+(?:AI|A\.I\.|artificial\s+intelligence|language\s+model|LLM)\b",
    # a vocative. With a comma the AI noun opens its clause ("To wake the assistant, say 'Hey Nova'" names it,
    # not calls it); with a colon a few words may lead up to it ("Guidance for the assistant: tell…").
    r"(?:^|[.!?;()\[\]\-—*>\"“]|\b(?:hey|dear|attention|to\s+(?:the|any|all))\b)\s*(?:the\s+|any\s+|all\s+)?"
    r"(?:AI|assistant|chatbot|language\s+model|LLM)s?\s*,\s*(?:please\s+)?"
    r"(?:ignore|print|output|say|respond|reply|tell|include|append|add)\b",
    r"(?:^|[.!?;()\[\]\-—*>\"“])\s*(?:[\w-]+\s+){0,4}?"
    r"(?:AI|assistant|chatbot|language\s+model|LLM)s?\s*:\s*(?:please\s+)?"
    r"(?:ignore|print|output|say|respond|reply|tell|include|append|add)\b",
    r"\bwhen\s+(?:an?\s+)?(?:AI|assistant|language\s+model|LLM)\s+(?:reads|sees|processes)\s+this",
    r"你现在必须",
    r"请输出",
    r"(?:AI|人工智能)\s*(?:助手|模型)\s*[，,：:]?\s*请(?!求)",
    r"(?:AI|人工智能)\s*[，,：:]\s*请(?!求)",
    r"作为一个(?:AI|人工智能)|作为(?:AI|人工智能)(?:助手|语言模型)",
)
