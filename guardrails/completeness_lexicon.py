"""Word lists of the completeness guardrail (zh + en): references, placeholder nouns, request verbs,
connectors, and the patterns that spot comparisons. Data only; the logic is in completeness_gaps.py (and its
referents, scan and options modules).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from guardrails.text import STOPWORDS_EN

Kind = Literal["ref", "placeholder", "category", "generic", "verb", "connector", "anchor", "break"]
Missing = Literal["referent", "object", "candidates", "content", "intent", "judged"]

# --- English lexicon -------------------------------------------------------------------------------
# References that need something to point at.
REFS_EN = frozenset(["this", "that", "these", "those", "it", "its", "they", "them", "above", "below", "following", "here"])
# References that point at material above or below rather than at a named thing.
POINTERS = frozenset(
    [
        "above",
        "below",
        "following",
        "上面",
        "上面的",
        "上述",
        "以上",
        "刚才",
        "刚刚",
        "前面",
        "前述",
        "下面",
        "下面的",
        "以下",
        "如下",
    ]
)
# Nouns that stand for material the user did not give ("this plan", "my code"): never concrete on their own.
PLACEHOLDERS_EN = frozenset(
    [
        "plan",
        "plans",
        "code",
        "file",
        "files",
        "text",
        "texts",
        "document",
        "doc",
        "article",
        "paragraph",
        "sentence",
        "essay",
        "email",
        "letter",
        "message",
        "error",
        "errors",
        "script",
        "snippet",
        "function",
        "program",
        "query",
        "approach",
        "solution",
        "design",
        "proposal",
        "draft",
        "content",
        "passage",
        "output",
        "result",
        "results",
        "screenshot",
        "image",
        "picture",
        "example",
        "thing",
        "things",
        "stuff",
        "one",
        "ones",
        "idea",
        "ideas",
        "version",
        "data",
        "problem",
        "problems",
        "issue",
        "issues",
        "question",
        "questions",
        "answer",
    ]
)
# Category nouns: concrete enough in general ("What is a model?"), but "this parameter" still names nothing.
CATEGORIES_EN = frozenset(
    [
        "parameter",
        "parameters",
        "variable",
        "variables",
        "setting",
        "settings",
        "option",
        "options",
        "command",
        "commands",
        "value",
        "values",
        "field",
        "fields",
        "model",
        "models",
        "tool",
        "tools",
        "library",
        "package",
        "feature",
        "features",
        "flag",
        "flags",
        "key",
        "port",
        "step",
        "steps",
        "method",
        "api",
        "endpoint",
        "config",
        "configuration",
        "part",
        "section",
        "chapter",
        "page",
        "link",
        "word",
        "term",
        "line",
    ]
)
# Request verbs whose object must be supplied material ("review this", "translate the following").
VERBS_EN = frozenset(
    [
        "review",
        "check",
        "fix",
        "translate",
        "summarize",
        "summarise",
        "proofread",
        "rewrite",
        "improve",
        "optimize",
        "optimise",
        "debug",
        "edit",
        "analyze",
        "analyse",
        "refactor",
        "evaluate",
        "assess",
        "polish",
        "shorten",
        "simplify",
        "paraphrase",
        "judge",
        "grade",
        "correct",
        "explain",
        "critique",
        "rate",
    ]
)
# Words that carry no topic for this purpose: stopwords, fillers, evaluative adjectives, light verbs.
GENERIC_EN = (
    STOPWORDS_EN
    | frozenset(
        [
            "help",
            "please",
            "pls",
            "plz",
            "thanks",
            "thank",
            "hi",
            "hello",
            "hey",
            "ok",
            "okay",
            "sure",
            "yeah",
            "well",
            "really",
            "actually",
            "exactly",
            "still",
            "even",
            "now",
            "today",
            "mean",
            "means",
            "meaning",
            "meant",
            "work",
            "works",
            "working",
            "worked",
            "happen",
            "happens",
            "happened",
            "happening",
            "go",
            "goes",
            "going",
            "went",
            "get",
            "gets",
            "got",
            "getting",
            "make",
            "makes",
            "made",
            "need",
            "needs",
            "want",
            "wants",
            "know",
            "think",
            "say",
            "says",
            "said",
            "see",
            "look",
            "looks",
            "looking",
            "like",
            "try",
            "trying",
            "tried",
            "give",
            "tell",
            "show",
            "use",
            "using",
            "used",
            "write",
            "run",
            "wrong",
            "reasonable",
            "correct",
            "right",
            "good",
            "bad",
            "better",
            "best",
            "fine",
            "possible",
            "true",
            "false",
            "valid",
            "sense",
            "sensible",
            "feasible",
            "worth",
            "enough",
            "wise",
            "fair",
            "great",
            "nice",
            "useful",
            "okay",
            "something",
            "anything",
            "everything",
            "nothing",
            "whatever",
            "lot",
            "kind",
            "sort",
            "whether",
            "anyone",
            "someone",
            "somebody",
            "else",
            "why",
            "whats",
            "hows",
        ]
    )
    | frozenset(
        # Attribute nouns: "the default for that", "the difference" name a property, not the thing itself.
        [
            "default",
            "defaults",
            "difference",
            "differences",
            "reason",
            "reasons",
            "cause",
            "causes",
            "purpose",
            "meaning",
            "size",
            "limit",
            "cost",
            "price",
            "benefit",
            "benefits",
            "advantage",
            "advantages",
            "disadvantage",
            "disadvantages",
            "pros",
            "cons",
            "alternative",
            "alternatives",
            "requirement",
            "requirements",
            "usage",
            "faster",
            "slower",
            "worse",
            "bigger",
            "smaller",
            "cheaper",
            "shorter",
            "longer",
            "simpler",
            "cleaner",
            "clearer",
            "quicker",
            "easier",
            "harder",
            "safer",
            "fail",
            "fails",
            "failing",
            "failed",
            "broken",
            "mistake",
            "mistakes",
            "bug",
            "bugs",
            "buggy",
            "crash",
            "crashes",
            "crashing",
            "crashed",
        ]
    )
)
CONNECTORS_EN = frozenset(["or", "vs", "versus", "and"])

# --- Chinese lexicon (longest match over each CJK run; what is left over, 2+ characters, is content) ---
REFS_ZH = frozenset(
    [
        "这个",
        "那个",
        "它",
        "它们",
        "上面",
        "上面的",
        "刚才",
        "刚刚",
        "这段",
        "那段",
        "该",
        "此",
        "这些",
        "那些",
        "这里",
        "那里",
        "上述",
        "以上",
        "下面",
        "下面的",
        "以下",
        "如下",
        "这种",
        "那种",
        "这样",
        "这份",
        "那份",
        "这条",
        "那条",
        "这句",
        "这篇",
        "这块",
        "这部分",
        "前面",
        "前述",
        "这",
        "那",
    ]
)
PLACEHOLDERS_ZH = frozenset(
    [
        "方案",
        "代码",
        "文件",
        "问题",
        "报错",
        "错误",
        "文本",
        "文字",
        "文章",
        "段落",
        "句子",
        "话",
        "内容",
        "脚本",
        "函数",
        "程序",
        "邮件",
        "计划",
        "想法",
        "思路",
        "做法",
        "方法",
        "办法",
        "写法",
        "设计",
        "提议",
        "草稿",
        "结果",
        "输出",
        "截图",
        "图片",
        "日志",
        "数据",
        "例子",
        "东西",
        "情况",
        "事",
        "事情",
    ]
)
CATEGORIES_ZH = frozenset(
    [
        "参数",
        "变量",
        "环境变量",
        "设置",
        "选项",
        "命令",
        "值",
        "字段",
        "模型",
        "工具",
        "库",
        "功能",
        "配置",
        "端口",
        "版本",
        "步骤",
        "接口",
        "部分",
        "章节",
        "页面",
        "链接",
        "词",
        "概念",
        "术语",
    ]
)
VERBS_ZH = frozenset(
    [
        "检查",
        "看看",
        "看一下",
        "看下",
        "修改",
        "修复",
        "改一下",
        "改改",
        "翻译",
        "总结",
        "概括",
        "解释",
        "优化",
        "改进",
        "润色",
        "审查",
        "审阅",
        "分析",
        "评价",
        "评估",
        "判断",
        "调试",
        "重写",
        "改写",
        "精简",
        "校对",
        "点评",
    ]
)
GENERIC_ZH = frozenset(
    [
        "请",
        "请问",
        "帮我",
        "帮忙",
        "帮",
        "帮帮我",
        "麻烦",
        "一下",
        "下",
        "是否",
        "合理",
        "有没有",
        "有什么",
        "什么",
        "怎么",
        "怎么办",
        "怎么样",
        "怎样",
        "如何",
        "为什么",
        "为何",
        "哪个",
        "哪些",
        "哪里",
        "哪",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "是",
        "是不是",
        "的",
        "了",
        "有",
        "没有",
        "对",
        "对不对",
        "对吗",
        "正确",
        "错",
        "好",
        "好不好",
        "行",
        "行不行",
        "可以",
        "可行",
        "能",
        "能不能",
        "会",
        "会不会",
        "要",
        "需要",
        "应该",
        "意思",
        "含义",
        "意义",
        "说",
        "讲",
        "做",
        "弄",
        "搞",
        "用",
        "你",
        "我",
        "我的",
        "你的",
        "我们",
        "他",
        "她",
        "谢谢",
        "你好",
        "您好",
        "在",
        "更",
        "比较",
        "最",
        "好用",
        "一个",
        "个",
        "这么",
        "那么",
        "因此",
        "此外",
        "如此",
        "彼此",
        "其它",
        "其他",
        "其中",
        "现在",
        "一些",
        "一点",
        "问",
        "想",
        "想要",
        "知道",
        "告诉",
        "告诉我",
        "给",
        "给我",
        "写",
        "看",
        "合适",
        "适合",
        "推荐",
        "建议",
        "更好",
        "靠谱",
        "对劲",
        "出错",
        "不",
        "没",
        "都",
        "也",
        "就",
        "还",
        "又",
        "再",
        "很",
        "太",
        "解决",
        "处理",
        "回事",
        "到底",
        "究竟",
        "为啥",
        "咋",
        "咋办",
        "啥",
        "干嘛",
        "里",
        "中",
        "上",
        "能否",
        "是啥",
        "我们的",
        "多少",
        "几",
        "几个",
        "按照",
        "根据",
        "关于",
        "通过",
        "一版",
        "再来",
        "一遍",
        "一次",
    ]
) | frozenset(
    # Attribute nouns, comparatives and diagnostic predicates, as in English above.
    [
        "默认",
        "默认值",
        "区别",
        "差别",
        "不同",
        "原因",
        "作用",
        "用途",
        "含义",
        "大小",
        "限制",
        "优点",
        "缺点",
        "优缺点",
        "好处",
        "坏处",
        "要求",
        "用法",
        "更快",
        "更小",
        "更短",
        "快点",
        "快一点",
        "失败",
        "报错了",
        "出错了",
        "不工作",
        "不能用",
        "不行",
        "跑不起来",
        "不对",
        "有问题",
    ]
)
# Leftover stretches made only of these characters are not content ("改一版", "再说").
FUNCTION_CHARS_ZH = frozenset("一二两三再改版次遍下些把被给让对从向于为之其也都就还又很太得地着过来去到说做看要能会想用写问该")
# The user's own artefact ("my Docker command", "我的配置") said to be broken, but not shown.
POSSESSIVES = frozenset(("my", "our", "我的", "我们的"))
MATERIALS = frozenset(
    [
        "code",
        "script",
        "config",
        "configuration",
        "command",
        "commands",
        "modelfile",
        "dockerfile",
        "file",
        "setup",
        "prompt",
        "query",
        "program",
        "function",
        "output",
        "log",
        "logs",
        "yaml",
        "json",
        "regex",
        "sql",
        "template",
        "代码",
        "脚本",
        "配置",
        "命令",
        "文件",
        "日志",
        "程序",
        "提示词",
        "函数",
        "模板",
        "正则",
    ]
)
# Words that say material is in this message or came with it ("the attached contract", "the file I uploaded",
# "我上传的合同", "附件里的数据"); completeness_material.announces_material checks the words around them.
ANNOUNCED_EN = frozenset("attached enclosed uploaded pasted".split())
ANNOUNCED_ZH = frozenset("附件里 附件中 附件里的 附件中的 上传的 贴的".split())
ANNOUNCE_SUBJECTS = frozenset("the i we you just i've we've have has my our".split())
ANNOUNCE_SUBJECTS_ZH = frozenset("我 你 我们 刚 刚才 刚刚".split())
DESTINATIONS = frozenset("to into onto in on from at".split())  # "uploaded to ollama.com": a place, not this chat
DETERMINERS = frozenset("the a an my your our its this that these those their".split())
CONTRASTS = frozenset("but whereas while 但 但是 而 可是 不过".split())  # "A says 0.2 but B says 0.7": two sides
PART_OF = frozenset("in of inside within from throughout".split())  # "the timeline in this plan": a part of it
OUTPUT_VERBS = frozenset("paste write put type print add enter fill reply respond give show".split())  # "… below"
DIAGNOSTIC_RE = re.compile(
    r"\b(?:fail|fails|failing|failed|broken|wrong|mistakes?|errors?|bugs?|buggy|crash(?:es|ing|ed)?"
    r"|(?:does\s*not|doesn't|don't|won't|isn't|not)\s+work(?:ing)?)\b"
    r"|报错|出错|错误|失败|有问题|不工作|不能用|不行|跑不起来|不对|哪里错|什么问题"
)
# Bare pronouns that need an antecedent before them, or a name in a later sentence (completeness_referents._antecedent);
# words that open a new clause; words after which a dummy "it" points forward.
STRICT_PRONOUNS = frozenset("it them they 它 它们 这个 那个 这样 这种 那种 这些 那些".split())
CLAUSE_WORDS = frozenset(
    "and but or so then when whenever if after before because since once while until unless whether that which "
    "who where to without though although 还是 但是 但 然后 如果 因为 所以 而且 时 时候 以后 之后".split()
)
# Chinese references that also determine a noun ("这个应用"), unlike 它 or 这样.
ZH_DETERMINERS = frozenset("这个 那个 这些 那些 这种 那种".split())
# Letters that name options only by position: "A or B", "plan B", "甲方案和乙方案".
OPTION_LABELS = frozenset("a b x y 甲 乙 丙 丁".split())  # not "c": "C or C++?"
COPULAS = frozenset("is are was were isn't aren't wasn't".split())
EXTRAPOSED = frozenset("to that if when whether for which what how where who".split())
CONNECTORS_ZH = frozenset(["还是", "和", "与", "跟", "或者", "或", "以及", "及", "对比"])

# --- Parity additions: predicates, light verbs, deictic words, pointers to earlier turns (zh + en) ------
# Evaluative predicates, light verbs and prepositions name no topic: "Is it safe to use?", "How do I install
# it?", "the difference between them" still point at nothing.
GENERIC_EN = GENERIC_EN | frozenset(
    "safe secure stable normal reliable compatible supported free fast slow expensive cheap necessary needed "
    "required outdated deprecated matter matters install uninstall update upgrade remove delete configure set "
    "enable disable start stop restart turn change open close download launch load unload save reset connect "
    "deploy build call pick choose throw throws threw thrown gives returns raises prints between among within "
    "across after before during via per still".split()
)
# Adjectives that make "the ..." point back at something: "the new version", "the second one", "the last part".
DEICTIC_EN = frozenset(
    "first second third last other previous next same new old latest former latter earlier current original "
    "aforementioned".split()
)
GENERIC_EN = GENERIC_EN | DEICTIC_EN
# Nouns for an edition of a thing: "this version of Ollama" is the thing the of-phrase names, as it stands now;
# "this function of numpy" or "this error of Ollama" is one part of it, and which one is not said.
EDITIONS_EN = frozenset("version versions release releases build builds edition editions".split())
# Asking for advice names no topic, as 建议/推荐 do not ("Any suggestions?", "Any tips?"; "Any ideas?" is a
# placeholder already).
GENERIC_EN = GENERIC_EN | frozenset("suggestion suggestions tip tips advice recommendation recommendations hint hints".split())
# Chat fillers, opinion and feeling words name no topic either: "wat does that even mean lol", "Should I be worried
# about that warning?", "我倾向第二个，你觉得呢？"; nor do defect words, like "mistakes" ("帮我瞅瞅有没有错别字"), nor
# length words that only set a format ("Give me a one-line version.").
GENERIC_EN = GENERIC_EN | frozenset(
    "lol lmao lmfao rofl wat wut idk tbh imo imho btw thx ty haha hmm umm uh omg "
    "worried worry worrying concerned afraid scared nervous prefer prefers preferred lean leaning feel guess reckon "
    "typo typos spelling misspelling misspellings".split()
)
LENGTH_RE = re.compile(
    r"(?:\d+|one|two|three|four|five|single|half)-(?:line|lines|liner|sentence|sentences|word|words|paragraph|"
    r"paragraphs|page|pages|bullet|bullets|point|points|minute)"
)
# Pointers to material or turns the user did not include: "the attached", "the setting I mentioned".
CONTEXT_POINTERS = frozenset(
    "mentioned discussed attached enclosed sent shared pasted uploaded described aforesaid "
    "讨论的 提到的 说过的 发的 附件 附件里的 上传的 贴的 同样的".split()
)
REFS_EN = REFS_EN | frozenset(w for w in CONTEXT_POINTERS if w.isascii())
PLACEHOLDERS_EN = PLACEHOLDERS_EN | frozenset(
    "wording phrasing grammar formatting table homework report resume cv slides presentation "
    "spreadsheet attachment setup translation notes draft warning warnings point points clause clauses".split()
)
# Requests for an opinion on material work like request verbs: "Any feedback on my draft?".
VERBS_EN = VERBS_EN | frozenset("feedback thoughts opinion opinions comments comment convert reformat format expand".split())
# Only these nouns after "which" demand candidates the user must list ("Which option should I pick?"); an
# open category ("Which model should I use for ...?") is a request for a recommendation.
CHOICE_NOUNS_EN = frozenset(
    "option options alternative alternatives choice choices approach approaches solution solutions".split()
)
# A request whose only words are a target language or format still lacks its material ("改写成英文").
FORMAT_WORDS = frozenset(
    "english chinese french german spanish japanese korean russian json yaml markdown csv "
    "英文 中文 英语 汉语 日语 日文 法语 德语 韩语 表格".split()
)
REFS_ZH = REFS_ZH | frozenset(
    "第一个 第二个 第三个 另一个 前一个 后一个 上一个 下一个 刚才那个 讨论的 提到的 说过的 发的 附件 附件里的 上传的 贴的 同样的".split()
)
# Ordinals with a measure word or a part noun point back at a list, like "the second step" ("第三步", "第二点"), and
# so does a version named by its age, like "the new version" ("新版本", "旧版").
REFS_ZH = (
    REFS_ZH
    | frozenset(
        f"第{n}{unit}" for n in "一二三四五六七八九十" for unit in ("步", "点", "条", "段", "项", "部分", "句", "种", "版")
    )
    | frozenset("新版本 旧版本 老版本 新版 旧版 老版 上一版 上个版本 下一版 下个版本".split())
)
PLACEHOLDERS_ZH = PLACEHOLDERS_ZH | frozenset(
    "信息 报错信息 错误信息 警告 警告信息 条款 措辞 语句 文笔 格式 答案 回答 作业 论文 简历 报告 稿子 译文 草稿".split()
)
VERBS_ZH = VERBS_ZH | frozenset("意见 看法 反馈 打分 打个分 评分 改写成 转成 转换成".split())
GENERIC_ZH = GENERIC_ZH | frozenset(
    "正常 安全 稳定 可靠 有效 过时 必要 值得 划算 兼容 支持 免费 够用 慢 快 贵 便宜 起来 用起来 看起来 听起来 "
    "说得通 行得通 展开 详细 具体 说说 讲讲 继续 换成 改成 变成 还有 之前 以前 先前 后来 然后".split()
)

GENERIC_ZH = GENERIC_ZH | frozenset(
    "觉得 认为 倾向 倾向于 喜欢 担心 担忧 害怕 纠结 哈哈 哈哈哈 呵呵 嗯 嗯嗯 哦 噢 诶 欸 呃 "
    "里面 里边 当中 之中 错别字 别字 病句 语病".split()
)
# Colloquial ways to ask for a look or a translation, like 看看 and 改写成.
VERBS_ZH = VERBS_ZH | frozenset("瞅瞅 瞅一眼 瞅一下 瞧瞧 瞧一下 瞧一眼 看一眼 过目 把把关 翻成 翻译成".split())

ZH_LEXICON: dict[str, Kind] = {}
ZH_GROUPS: tuple[tuple[Iterable[str], Kind], ...] = (
    (GENERIC_ZH, "generic"),
    (CATEGORIES_ZH, "category"),
    (PLACEHOLDERS_ZH, "placeholder"),
    (VERBS_ZH, "verb"),
    (REFS_ZH, "ref"),
    (CONNECTORS_ZH, "connector"),
)
for _words, _kind in ZH_GROUPS:
    for _word in _words:
        ZH_LEXICON[_word] = _kind  # later groups win: "和" is a connector, not filler
ZH_MAX = max(len(w) for w in ZH_LEXICON)

QUOTED_OR_CODE = (
    r"```.*?(?:```|\Z)"  # fenced code
    r'|`[^`\n]+`|"[^"\n]+"|“[^”\n]+”|「[^」\n]+」|『[^』\n]+』'
)
UNIT_RE = re.compile(
    rf"(?P<quoted>{QUOTED_OR_CODE})"
    r"|(?P<word>[a-z0-9_]+(?:[.:/\-'][a-z0-9_]+)*)"
    r"|(?P<cjk>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
    r"|(?P<colon>[:：])"
    r"|(?P<newline>\n)"
    r"|(?P<list>[、/])"
    r"|(?P<brk>[,.;!?，。；！？()（）\[\]【】<>《》])",
    re.DOTALL,
)

# Comparison without candidates: "which is better", "which one", "哪个更好", "选哪个".
COMPARE_RES = (
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
    re.compile(r"\bwhich\s+(?:has|have|offers|gives|gets)\s+(?:the\s+)?(?:best|most|least|fewest|lowest|highest)\b"),
    re.compile(r"\bwhich\s+(?:" + "|".join(sorted(CHOICE_NOUNS_EN)) + r")\b"),
    re.compile(r"哪(?:个|一个|种|一种|款|些|样|家)?(?:更|比较|最)?(?:好|合适|适合|推荐|划算|快|强|优秀|靠谱)"),
    re.compile(r"选哪(?:个|一个|种|款|样)"),
)
