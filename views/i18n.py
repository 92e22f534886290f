"""View layer: every UI string, in English and Chinese. `t(key, **values)` formats the current session's
language (fallback: English). Values put into templates must already be safe (see views.text.safe_md).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

LANGUAGES = {"en": "English", "zh": "中文"}

EN: dict[str, str] = {
    "app.title": "guarded-rag", "app.lang": "Language / 语言", "app.session": "Session {id}",
    "page.chat": "Chat", "page.traces": "Traces", "page.documents": "Documents", "page.settings": "Settings", "page.experiments": "Experiments",
    "page_error": "This page hit a problem and stopped: {error}. Reference {ref} (details are in the server log).",
    "status.answered": "answered", "status.clarify": "needs clarification", "status.refused": "refused",
    "status.fallback": "fallback", "status.error": "error",
    "chat.title": "Ask your documents", "chat.placeholder": "Ask a question about your documents…",
    "chat.empty": "Ask anything about the indexed documents, in English or Chinese. Every answer shows its sources, the guardrails that fired and a step-by-step timeline.",
    "chat.clear": "Clear conversation", "working": "Working… (a cold start loads the model first)",
    "done": "Done: {status}", "provisional": "provisional",
    "provisional_dropped": "The provisional text was discarded; falling back…",
    "model_loading": "⏳ Model loading (cold start):", "model_loaded": "⏳ Model loading notice — {note}",
    "step.backend": "Choosing the backend…", "step.input": "Checking the question…", "step.retrieval": "Searching your documents…",
    "step.context": "Checking the passages…", "step.generation": "Asking the model…", "step.parse": "Reading the model's JSON…",
    "step.output": "Checking the answer against the sources…", "step.fallback": "Falling back…", "step.chaos": "Chaos fault injected…",
    "step.result": "Finishing…",
    "banner.embedded": "Answering with the **embedded** model **{model}**", "banner.ollama": "Answering with **Ollama** model **{model}**",
    "banner.fix": "Fix:", "chaos_active": "Chaos mode is on for this session: faults are injected at the model layer (see Settings).",
    "fallback_label": "Fallback answer: the model's answer did not pass the checks, so this was quoted from your documents.",
    "sources": "Sources ({n})", "score": "similarity {score}", "no_text": "(no text stored)",
    "guard.fired": "{name} fired", "checks_passed": "✓ {n} checks passed",
    "missing": "Missing:", "clarify_hint": "Pick a clarifying question to ask it:",
    "meta": "{backend} · {model} · {calls} LLM call(s) · {ms} ms", "chaos_on": "🌀 chaos on",
    "trace_link": "Trace {id}", "timeline_title": "Timeline ({n} steps)", "timeline_empty": "No steps recorded.",
    "timeline_summary": "{n} steps · {model_ms} ms in model calls", "chaos_injected": "🌀 {n} chaos fault(s) injected:",
    "model_step": "**#{seq} {name}** · attempt {attempt} · {model} · {outcome}",
    "tab.raw": "Raw output", "tab.parsed": "Parsed", "tab.repair": "Repair diff", "tab.evidence": "Evidence",
    "guard_desc.input_size": "The question is too long or garbled.",
    "guard_desc.prompt_injection": "The question tries to override the assistant's instructions.",
    "guard_desc.completeness": "The question lacks the details needed to answer it.",
    "guard_desc.relevance": "Nothing in your documents matches the question well enough.",
    "guard_desc.context_injection": "A retrieved passage contains instructions aimed at the model.",
    "guard_desc.citations": "The answer cited no source, or a source that was not retrieved.",
    "guard_desc.grounding": "The answer says things the cited passages do not support.",
    "tr.title": "Traces", "tr.storewide": "Store-wide view: every stored request, from all sessions and the CLI.",
    "tr.status": "Status", "tr.guardrail": "Guardrail fired", "tr.backend": "Backend", "tr.model": "Model", "tr.any": "any",
    "tr.dates": "Time range", "tr.search": "Search questions", "tr.mine": "Only this session",
    "tr.shown": "{n} shown of {total} stored", "tr.none": "No traces match.", "tr.requests": "Requests",
    "tr.answered_share": "Answered", "tr.chart_fire": "Guardrail fire rate", "tr.chart_status": "Status over time",
    "tr.chart_latency": "Latency", "tr.chart_calls": "LLM calls & retries", "tr.rate": "fire rate",
    "tr.latency_caption": "Latency per request: p50 {p50}, p95 {p95}.",
    "tr.calls_caption": "Per question, oldest first: model calls and retries (transport retries + re-asks).",
    "tr.export_jsonl": "Export JSONL", "tr.export_csv": "Export CSV", "tr.detail_title": "Trace detail",
    "tr.detail": "Trace", "tr.missing": "Trace {id} not found.", "tr.question": "Question:", "tr.answer": "Answer:", "tr.message": "Message:",
    "tr.fired": "Fired: {names}",
    "doc.title": "Documents", "doc.upload": "Upload", "doc.choose": "Choose files",
    "doc.limits": "Accepted: {types}; at most {max} MB per file. Files are saved under the app's home folder in uploads/.",
    "doc.index_uploads": "Upload and index", "doc.indexing": "Indexing…", "doc.indexed": "Indexed documents",
    "doc.none": "No documents indexed yet: upload some, or re-index the docs folder.",
    "doc.report": "Indexed: {added} added, {updated} updated, {unchanged} unchanged, {removed} removed ({chunks} chunks).",
    "doc.problem": "{source} was not indexed ({kind}): {message}",
    "doc.flagged": "{source}, chunk {chunk}: flagged as a suspected injection — {reason}",
    "doc.flag_row": "{source}: {flags} ({n} flagged chunk(s)) — review this document; the context_injection guardrail checks such passages at question time.",
    "doc.pick": "Document", "doc.reindex_one": "Re-index", "doc.delete": "Delete", "doc.deleted": "Deleted {source} ({n} chunks).",
    "doc.rebuild": "Rebuild the index from scratch", "doc.reindex_all": "Re-index all",
    "upload.type": "{name}: file type {detail} is not accepted; upload .md, .txt or .pdf.",
    "upload.empty": "{name}: the file is empty.", "upload.too_large": "{name}: {detail} MB is over the {max} MB limit.",
    "upload.binary": "{name}: looks like a binary file, not text.", "upload.not_pdf": "{name}: not a valid PDF file.",
    "set.title": "Settings", "set.scope": "These settings apply to your session only; other users and the CLI keep the defaults.",
    "set.model": "Backend and models", "set.backend": "Backend", "set.model_name": "Model", "set.fallback": "Fallback model (Ollama, optional)",
    "set.list_models": "List Ollama models", "set.ollama_unreachable": "Ollama at {host} did not answer: {error}",
    "set.temperature": "Temperature", "set.retries": "Transport retries", "set.reasks": "Re-asks",
    "set.latency_budget": "Latency budget (s)", "set.timeout": "Timeout per model call (s)", "set.top_k": "Passages retrieved",
    "set.guardrails": "Guardrails", "set.chaos": "Chaos mode",
    "set.chaos_help": "Inject faults at the model layer (prose around the JSON, truncated JSON, wrong citations, latency spikes, transport errors, timeouts) to watch retries, repairs and fallbacks work.",
    "set.chaos_on": "Enable chaos mode", "set.chaos_rate": "Fault rate", "set.chaos_faults": "Faults", "set.chaos_latency": "Latency spike (s)",
    "set.apply": "Apply to this session", "set.applied": "Applied to this session.", "set.invalid": "Not applied — {error}",
    "set.reset": "Reset to defaults", "set.active": "Active overrides for this session",
    "lab.caption": "Raw model vs guarded chain on this app's backend, measured now. N is kept small here; "
    "`guarded-rag lab <experiment> --n N` runs the full version and writes a report.",
    "lab.title.latency": "Latency variance", "lab.title.nondeterminism": "Non-determinism", "lab.title.overinference": "Over-inference",
    "lab.desc.latency": "The same request (answer prompt, retrieved passages, JSON schema) N times: the spread of latency, "
    "p50/p95, the first call on a freshly loaded model vs later ones, and what a timeout at p95 would cut.",
    "lab.desc.nondeterminism": 'The same "give me a JSON object with name and age" prompt N times, raw vs guarded '
    "(JSON-schema `format` + parse ladder): distinct outputs, parse failures, field-order changes, prose around the JSON.",
    "lab.desc.overinference": "Vague prompts that leave out what they are about. Raw: the model alone, does it invent the "
    "missing context? Guarded: the completeness guardrail asks for it, with no model call.",
    "lab.n": "N", "lab.run": "Run", "lab.running": "Running {name} (N={n})…", "lab.failed": "The experiment failed: {error}",
    "lab.not_run": "Not run yet in this session.", "lab.rows": "All {n} rows", "lab.measure": "measure", "lab.value": "value",
}

ZH: dict[str, str] = {
    "app.title": "guarded-rag", "app.lang": "Language / 语言", "app.session": "会话 {id}",
    "page.chat": "问答", "page.traces": "追踪记录", "page.documents": "文档", "page.settings": "设置", "page.experiments": "实验",
    "page_error": "页面出错并已停止：{error}。参考编号 {ref}（详情见服务器日志）。",
    "status.answered": "已回答", "status.clarify": "需要澄清", "status.refused": "已拒绝", "status.fallback": "兜底回答", "status.error": "错误",
    "chat.title": "向你的文档提问", "chat.placeholder": "输入关于文档的问题…",
    "chat.empty": "可以用中文或英文询问已索引文档中的任何内容。每个回答都会显示来源、触发的护栏以及逐步时间线。",
    "chat.clear": "清空对话", "working": "处理中…（冷启动时需要先加载模型）", "done": "完成：{status}", "provisional": "临时",
    "provisional_dropped": "临时文本已丢弃，正在兜底…",
    "model_loading": "⏳ 模型加载中（冷启动）：", "model_loaded": "⏳ 模型加载提示 — {note}",
    "step.backend": "选择后端…", "step.input": "检查问题…", "step.retrieval": "检索文档…", "step.context": "检查段落…",
    "step.generation": "请求模型…", "step.parse": "解析模型的 JSON…", "step.output": "对照来源检查回答…", "step.fallback": "兜底中…",
    "step.chaos": "已注入混沌故障…", "step.result": "收尾…",
    "banner.embedded": "由**内置**模型 **{model}** 回答", "banner.ollama": "由 **Ollama** 模型 **{model}** 回答", "banner.fix": "修复方法：",
    "chaos_active": "本会话已开启混沌模式：在模型层注入故障（见设置）。",
    "fallback_label": "兜底回答：模型的回答未通过检查，以下内容直接引自你的文档。",
    "sources": "来源（{n}）", "score": "相似度 {score}", "no_text": "（未保存文本）",
    "guard.fired": "{name} 已触发", "checks_passed": "✓ {n} 项检查通过",
    "missing": "缺少：", "clarify_hint": "选择一个澄清问题直接提问：",
    "meta": "{backend} · {model} · {calls} 次模型调用 · {ms} 毫秒", "chaos_on": "🌀 混沌模式",
    "trace_link": "追踪 {id}", "timeline_title": "时间线（{n} 步）", "timeline_empty": "没有记录步骤。",
    "timeline_summary": "{n} 步 · 模型调用 {model_ms} 毫秒", "chaos_injected": "🌀 注入了 {n} 个混沌故障：",
    "model_step": "**#{seq} {name}** · 第 {attempt} 次 · {model} · {outcome}",
    "tab.raw": "原始输出", "tab.parsed": "解析结果", "tab.repair": "修复差异", "tab.evidence": "证据",
    "guard_desc.input_size": "问题过长或包含乱码。", "guard_desc.prompt_injection": "问题试图覆盖助手的指令。",
    "guard_desc.completeness": "问题缺少回答所需的细节。", "guard_desc.relevance": "文档中没有与问题足够相关的内容。",
    "guard_desc.context_injection": "检索到的段落中含有针对模型的指令。", "guard_desc.citations": "回答没有引用来源，或引用了未检索到的来源。",
    "guard_desc.grounding": "回答中有引用段落不支持的内容。",
    "tr.title": "追踪记录", "tr.storewide": "全库视图：所有会话和命令行的全部请求记录。",
    "tr.status": "状态", "tr.guardrail": "触发的护栏", "tr.backend": "后端", "tr.model": "模型", "tr.any": "全部",
    "tr.dates": "时间范围", "tr.search": "搜索问题", "tr.mine": "仅本会话", "tr.shown": "显示 {n} 条，共 {total} 条",
    "tr.none": "没有匹配的记录。", "tr.requests": "请求数", "tr.answered_share": "已回答", "tr.chart_fire": "护栏触发率",
    "tr.chart_status": "状态随时间分布", "tr.chart_latency": "延迟", "tr.chart_calls": "模型调用与重试", "tr.rate": "触发率",
    "tr.latency_caption": "每个请求的延迟：p50 {p50}，p95 {p95}。", "tr.calls_caption": "按问题（从旧到新）：模型调用次数和重试次数（传输重试 + 重新提问）。",
    "tr.export_jsonl": "导出 JSONL", "tr.export_csv": "导出 CSV", "tr.detail_title": "记录详情", "tr.detail": "记录",
    "tr.missing": "找不到记录 {id}。", "tr.question": "问题：", "tr.answer": "回答：", "tr.message": "说明：", "tr.fired": "已触发：{names}",
    "doc.title": "文档", "doc.upload": "上传", "doc.choose": "选择文件",
    "doc.limits": "支持：{types}；每个文件最大 {max} MB。文件保存在应用主目录的 uploads/ 下。",
    "doc.index_uploads": "上传并索引", "doc.indexing": "索引中…", "doc.indexed": "已索引的文档",
    "doc.none": "还没有索引任何文档：请上传，或重新索引文档目录。",
    "doc.report": "索引完成：新增 {added}，更新 {updated}，未变 {unchanged}，移除 {removed}（{chunks} 个分块）。",
    "doc.problem": "{source} 未被索引（{kind}）：{message}", "doc.flagged": "{source} 第 {chunk} 块：疑似注入 — {reason}",
    "doc.flag_row": "{source}：{flags}（{n} 个被标记的分块）— 请检查该文档；提问时 context_injection 护栏会检查这类段落。",
    "doc.pick": "文档", "doc.reindex_one": "重新索引", "doc.delete": "删除", "doc.deleted": "已删除 {source}（{n} 个分块）。",
    "doc.rebuild": "从头重建索引", "doc.reindex_all": "全部重新索引",
    "upload.type": "{name}：不支持文件类型 {detail}；请上传 .md、.txt 或 .pdf。", "upload.empty": "{name}：文件为空。",
    "upload.too_large": "{name}：{detail} MB 超过了 {max} MB 的上限。", "upload.binary": "{name}：看起来是二进制文件，不是文本。",
    "upload.not_pdf": "{name}：不是有效的 PDF 文件。",
    "set.title": "设置", "set.scope": "这些设置只对你的会话生效；其他用户和命令行仍使用默认值。",
    "set.model": "后端与模型", "set.backend": "后端", "set.model_name": "模型", "set.fallback": "备用模型（Ollama，可选）",
    "set.list_models": "列出 Ollama 模型", "set.ollama_unreachable": "{host} 上的 Ollama 没有响应：{error}",
    "set.temperature": "温度", "set.retries": "传输重试次数", "set.reasks": "重新提问次数", "set.latency_budget": "延迟预算（秒）",
    "set.timeout": "单次模型调用超时（秒）", "set.top_k": "检索段落数", "set.guardrails": "护栏", "set.chaos": "混沌模式",
    "set.chaos_help": "在模型层注入故障（JSON 外包裹文字、截断的 JSON、错误引用、延迟尖峰、传输错误、超时），观察重试、修复和兜底如何工作。",
    "set.chaos_on": "开启混沌模式", "set.chaos_rate": "故障概率", "set.chaos_faults": "故障类型", "set.chaos_latency": "延迟尖峰（秒）",
    "set.apply": "应用到本会话", "set.applied": "已应用到本会话。", "set.invalid": "未应用 — {error}",
    "set.reset": "恢复默认", "set.active": "本会话当前的覆盖设置",
    "lab.caption": "在本应用的后端上现场测量：裸模型 vs 带护栏的链。这里的 N 较小；"
    "`guarded-rag lab <experiment> --n N` 运行完整版本并写出报告。",
    "lab.title.latency": "延迟波动", "lab.title.nondeterminism": "输出不确定性", "lab.title.overinference": "过度推断",
    "lab.desc.latency": "同一个请求（回答提示词、检索到的段落、JSON schema）重复 N 次：延迟的分布、p50/p95、"
    "模型刚加载后的第一次调用与之后调用的对比，以及在 p95 处设超时会切掉多少请求。",
    "lab.desc.nondeterminism": "同一个“给我一个包含 name 和 age 的 JSON 对象”的提示词重复 N 次，裸模型 vs 带护栏"
    "（JSON schema `format` + 解析阶梯）：不同输出的数量、解析失败、字段顺序变化、JSON 外的多余文字。",
    "lab.desc.overinference": "省略了所指对象的模糊提示词。裸模型：模型会不会自己编造缺失的上下文？"
    "带护栏：完整性护栏会先追问，不调用模型。",
    "lab.n": "N", "lab.run": "运行", "lab.running": "正在运行{name}（N={n}）…", "lab.failed": "实验失败：{error}",
    "lab.not_run": "本会话中尚未运行。", "lab.rows": "全部 {n} 行", "lab.measure": "指标", "lab.value": "值",
}

STRINGS = {"en": EN, "zh": ZH}


def language_from_locale(locale: str | None) -> str:
    return "zh" if (locale or "").lower().startswith("zh") else "en"


def translate(lang: str, key: str, *, default: str | None = None, **values: Any) -> str:
    template = STRINGS.get(lang, EN).get(key) or EN.get(key)
    if template is None:
        return default if default is not None else key
    return template.format(**values) if values else template


def t(key: str, *, default: str | None = None, **values: Any) -> str:
    return translate(st.session_state.get("lang", "en"), key, default=default, **values)
