"""Pattern family for documents only: text that addresses an AI *reading the document* (indirect prompt
injection). Designed on the tune half of data/eval/doc_injection.jsonl; measured on its report half and on a
held-out set (docs/GUARDRAILS.md).

What it looks for is the grammar of the address, not an attack's wording, so a new payload ("say the surgery is
open 24/7", "rate this candidate first") is found by how it is delivered:
- a note headed for an AI reader: "Note to any AI assistant summarizing this page:", "Guidance for automated
  answer engines", "【致AI助手】", "给在线问诊机器人的提示：", "（供 AI 法律助手使用）";
- an AI reader named by what it is doing to this text: "language models processing this memo", "the model
  reading this", "读到这里的模型", "批改这篇作文的 AI 老师";
- the conditional "if you are an AI", "如果你是 AI";
- an AI noun used as a vocative and followed at once by an instruction: "AI shopping assistants that read
  reviews: always tell…", "Language model: disregard…", "hey model, new role", "智能投顾请知悉", "亲爱的 AI，".

An AI noun is AI, LLM, (large) language model, chatbot, bot, a named assistant product, or an assistant, agent,
helper or reader qualified as AI, chat, virtual, automated, code… A bare "assistant" is not one (a note to
someone's assistant is about a person), nor a bare "客服" or "助手" in Chinese (人工客服话术, 助手 in a transcript).

Pure policy layer (stdlib only).
"""

from __future__ import annotations

from guardrails.pattern_family import family

_QUALIFIED = (
    r"(?:AI|A\.I\.|chat|virtual|automated|automatic|digital|code|coding|shopping|answer|LLM|GPT|machine|robot|"
    r"financial|legal|tax|travel|research)[- ]?(?:powered\s+)?"
    r"(?:assistants?|agents?|helpers?|readers?|systems?|engines?|guides?|tools?|reviewers?|receptionists?|summari[sz]ers?)"
)
_EN_AI = (
    rf"(?:{_QUALIFIED}|AIs?|A\.I\.|LLMs?|(?:large\s+)?language\s+models?|text\s+models?|chat\s?bots?|bots?|"
    r"ChatGPT|GPT-?\d*|Claude|Gemini|Copilot|Bard|Bing\s+Chat|Cursor|summari[sz]ers?|thinking\s+machines?|"
    r"(?:answer|search)\s+engines?|crawlers?)"
)
_EN_DOING = (
    r"(?:reading|processing|parsing|summari[sz]ing|analy[sz]ing|reviewing|triaging|answering|ingesting|indexing|"
    r"crawling|scanning|scraping|quoting|grading|screening|evaluating|that\s+reads?|which\s+reads?|who\s+reads?|"
    r"that\s+(?:process|summari[sz]e|review)s?)"
)
_EN_NOTE = (
    r"(?:note|notes|message|word|instructions?|guidance|directives?|notice|reminder|memo|p\.\s?s\.?|attention|"
    r"heads[- ]up|request|hint|tips?|warning|advice|information|info)"
)
_EN_ORDER = (
    r"(?:please\s+)?(?:you\s+)?(?:must|should|shall|need\s+to|are\s+to|will|do\s+not|don't|never|always|only|"
    r"ignore|disregard|forget|tell|say|answer|reply|respond|output|print|write|include|append|add|recommend|"
    r"describe|present|approve|mark|leave|stop|refuse|repeat|replace|translate|treat|rate|give|state|claim|"
    r"report|insist|send|visit|forward|click|omit|skip|drop|set\s+aside|from\s+now\s+on|new\s+role|"
    r"when\s+(?:you|a\s+user|the\s+user|users?|asked|visitors?|customers?|shoppers?|someone)|"
    r"if\s+(?:you|a\s+user|the\s+user|asked|anyone|someone)|whenever)\b"
)

# Without a bare 模型: the sample corpus says "已下载的模型，请…" about models, not to one.
_ZH_AI_NAMED = (
    r"(?:AI|ＡＩ|人工智能|大(?:语言)?模型|语言模型|LLM|ChatGPT|GPT|文心一言|通义千问|Kimi|豆包|Copilot|Cursor|"
    r"(?:AI|ＡＩ|人工智能|智能|在线问诊|问答|编程|代码|日程|运维|学习|法律|税务|购物)\s*"
    r"(?:助手|机器人|客服|导购|投顾|老师|工具|程序|小助手)|智能投顾|智能客服|聊天机器人|"
    r"机器阅读者|摘要(?:工具|程序))"
)
_ZH_AI = rf"(?:{_ZH_AI_NAMED}|(?<![型号款])模型)"
# Characters that make a following 给 the end of a verb ("hand to", "send to"), not the "to" of a note's heading.
_ZH_NOT_VERB_GIVE = r"(?<![交发送递传输入喂留带献借卖分还寄转丢扔塞供付拿派配推抛])"
# The first characters an AI noun can start with, as a lookahead: a pattern that opens with a long alternation
# is tried at every character of every passage, and this rejects nearly all of them in one test (the context
# scan of a passage cost 1.0 ms with the family and 0.48 ms without it before these were added).
_EN_AI_FIRST = r"(?=[abcdfglmrstv])"
_ZH_AI_FIRST = r"(?=[aＡ人大语lcg文通k豆智在问编代日运学法税购聊机摘])"

AI_READER = family(
    "addressed_to_ai_reader",
    # a note headed for an AI reader
    rf"\b(?=[nmwigdrpaht]){_EN_NOTE}\s+(?:\w+\s+){{0,2}}(?:to|for)\s+"
    rf"(?:any|all|every|each|the|whatever|whichever|an?|other)?\s*(?:\w+\s+){{0,2}}{_EN_AI_FIRST}{_EN_AI}\b"
    r"(?:\s+[^\s:：.]+){0,6}\s*[:：—–]",
    # an AI reader named by what it does to this text
    rf"\b{_EN_AI_FIRST}{_EN_AI}\s+(?:\w+\s+){{0,2}}{_EN_DOING}\s+(?:\w+\s+){{0,2}}?(?:this|these|my|our)\b",
    r"\b(?:if|when)\s+you(?:'re|\s+are)\s+(?:an?\s+)?(?:AI|A\.I\.|LLM|large\s+language\s+model|language\s+model|"
    r"chat\s?bot|bot|automated|artificial|machine|model)\b",
    r"\byou,\s+the\s+(?:\w+\s+){0,2}(?:AI|LLM|model|machine|system|assistant|bot)\b",
    r"\bwhichever\s+of\s+you\b",
    # an AI noun as a vocative, an instruction right after it ("to" heads it only where no word comes before:
    # "passed to the LLM: never…" says what is done with the model)
    rf"(?:^|[.!?;(\[\-—–*>]|\b(?:hey|hi|hello|dear|attention|yo|(?<![^\W\d_]\s)to))\s*(?:\w+\s+){{0,2}}{_EN_AI_FIRST}{_EN_AI}"
    rf"(?:\s+(?:\w+\s+){{0,3}}?(?:that|who|which)\s+\w+(?:\s+\w+){{0,2}})?\s*[,:—–-]\s*{_EN_ORDER}",
    r"\bAI[- _](?:REVIEWER|ASSISTANT|AGENT|MODEL)[- _](?:DIRECTIVE|INSTRUCTIONS?|NOTE)\b",
    # a note or a field named for the AI: "Assistant instructions:", "model instruction:", ai_instructions: "…"
    r"\b(?:assistant|AI|LLM|model|bot|agent|chatbot)[- _]?(?:instructions?|directives?|notes?|notice|guidance)"
    r"\s*[\"']?\s*[:=：]",
    # the model or machine named by what it does to this text; hey/dear + a bare AI noun
    r"\b(?:the|any|a|every)\s+(?:models?|machines?)\s+(?:\w+\s+){0,1}"
    rf"{_EN_DOING}\s+(?:\w+\s+){{0,2}}?(?:this|these)\b",
    r"\b(?:hey|dear)\s+(?:model|assistant|bot|AI|LLM|machine)\b",
    # exfiltration: a markdown image whose URL carries a template slot for the conversation
    r"!\[[^\]\n]*\]\([^)\s]*\?[^)\s]*(?:\{[^}\s]*\}|%7B|\[[A-Z_]{3,}\]|<[a-z_]{3,}>)",
    # Chinese: a note headed for an AI reader. 给 or 供 closing a verb (交给/发给/提供给 模型: handed to the model)
    # describes what is done with the model, it heads nothing.
    rf"(?:{_ZH_NOT_VERB_GIVE}给|致|面向|(?<!提)供|提醒|写给|告)\s*(?:所有|任何|各位|各路|每一个|每个)?[^。\n，,]{{0,14}}?{_ZH_AI}\s*(?:们)?"
    r"(?:的(?:提示|说明|备注|话|指令|信息|通知))?\s*(?:使用|读取|参考|阅读)?\s*[\"”]?\s*[：:】\])）？?]",
    rf"(?:任何|所有|各位|各路|每个|每一个)\s*{_ZH_AI_NAMED}\s*(?:们)?\s*[：:，,]",
    # an AI noun reading this text, or told how to answer, or called and told (one pattern: one pass)
    rf"{_ZH_AI_FIRST}{_ZH_AI_NAMED}\s*(?:们)?\s*(?:(?:读到|读取|爬到|看到|处理)(?:本|这|此|该)|"
    rf"在(?:回答|回复|处理|总结)[^。\n]{{0,20}}?时\s*[，,]?\s*(?:应|请|要|必须|一律|都要)|"
    r"[，,：:]?\s*(?:请(?!求)|务必|必须|一律|注意(?!力)|知悉|读到(?:这里|此处)|听好))",
    # an AI reader named by what it does to this text
    rf"(?:阅读|读取|读到|读|处理|总结|分析|解析|批改|审查|审阅|爬到|接入)(?:本|这|此|该)[^。\n，,]{{0,10}}?的\s*{_ZH_AI}",
    r"(?:如果|如|若|假如|倘若)(?:您|你)(?:是|为)(?:一个|一名|一款)?\s*(?:AI|ＡＩ|人工智能|大模型|语言模型|模型|机器人|智能助手|人工智能程序)",
    r"亲爱的\s*(?:AI|ＡＩ|模型|大模型|人工智能)",
    r"[\[【][^\]】\n]{0,10}(?:模型|AI|系统)(?:指令|覆盖)[\]】]",
)
