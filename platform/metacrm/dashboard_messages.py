"""Runtime messages of dashboards and their pins, in English and Chinese (merged into
i18n.MESSAGES)."""

from __future__ import annotations

DASHBOARD_MESSAGES: dict[str, dict[str, str]] = {
    "pin_kind": {"en": "What to pin: 'report' or 'list'.",
                 "zh": "要固定的内容：'report'（报表）或 'list'（列表）。"},
    "pin_unknown_report": {"en": "No report '{name}' you may run.",
                           "zh": "没有您可运行的报表 '{name}'。"},
    "pin_unknown_entity": {"en": "No list of '{name}' you may read.",
                           "zh": "没有您可查看的 '{name}' 列表。"},
    "pin_query": {"en": "The query of the report or list: text of at most {max} characters, "
                        "as in its API call (e.g. period=this_month).",
                  "zh": "报表或列表的查询：最多 {max} 个字符的文本，格式同其 API 调用"
                        "（如 period=this_month）。"},
    "pin_query_refused": {"en": "In the query, {parameter}: {text}",
                          "zh": "查询中 {parameter}：{text}"},
    "pin_title": {"en": "A title of at most {max} characters.",
                  "zh": "标题最多 {max} 个字符。"},
    "pin_span": {"en": "How many columns the widget spans: 1 to {max}.",
                 "zh": "小组件所占列数：1 到 {max}。"},
    "pin_taken": {"en": "This is already pinned to your dashboard.",
                  "zh": "它已固定在您的看板上。"},
    "pin_full": {"en": "Your dashboard holds at most {max} pins; unpin one first.",
                 "zh": "看板最多固定 {max} 项，请先取消固定一项。"},
    "no_pin": {"en": "No pin with id {id} of yours.", "zh": "您没有 id 为 {id} 的固定项。"},
}
