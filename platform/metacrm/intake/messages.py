"""What the intake endpoint tells a sender, in English and Chinese (kept apart from
i18n.MESSAGES: these are read by other systems' developers, not the CRM's users)."""

from __future__ import annotations

INTAKE_MESSAGES: dict[str, dict[str, str]] = {
    "unknown_source": {"en": "No intake source '{name}'{hint}.",
                       "zh": "没有名为 '{name}' 的线索接入来源{hint}。"},
    "bad_token": {"en": "This token is not a live token of intake source '{name}' (unknown, "
                        "revoked, or another source's); send 'Authorization: Bearer <token>' "
                        "with the token `metacrm intake token {name}` printed.",
                  "zh": "该令牌不是线索接入来源 '{name}' 的有效令牌（未知、已吊销或属于其他来源）；"
                        "请以“Authorization: Bearer <令牌>”发送 `metacrm intake token {name}` "
                        "生成的令牌。"},
    "rate_limited": {"en": "Intake source '{name}' sent more than {requests} request(s) in "
                           "{per} s; try again in {seconds} s.",
                     "zh": "线索接入来源 '{name}' 在 {per} 秒内的请求超过 {requests} 次；"
                           "请在 {seconds} 秒后重试。"},
    "body": {"en": "Expected one lead (a JSON object) or {{\"leads\": [...]}} with 1 to {max} "
                   "leads.",
             "zh": "请求体应为一条线索（JSON 对象）或 {{\"leads\": [...]}}，"
                   "含 1 至 {max} 条线索。"},
    "too_large": {"en": "The body is larger than {max} bytes, the limit for an intake request; "
                        "send fewer leads per request.",
                  "zh": "请求体超过线索接入的上限 {max} 字节；请减少每次发送的线索数量。"},
    "not_object": {"en": "A lead is a JSON object of the source's keys.",
                   "zh": "每条线索应为由该来源字段组成的 JSON 对象。"},
    "unknown_key": {"en": "Unknown key{hint}; this source takes: {keys}.",
                    "zh": "未知字段{hint}；该来源接受：{keys}。"},
    "more_unknown": {"en": "{count} more unknown key(s).", "zh": "另有 {count} 个未知字段。"},
    "external_id": {"en": "Expected a text or a whole number of at most {max} characters that "
                          "identifies the lead in the sending system.",
                    "zh": "应为不超过 {max} 个字符的文本或整数，用于标识发送方系统中的该线索。"},
}


def say(key: str, lang: str = "en", **params: object) -> str:
    texts = INTAKE_MESSAGES[key]
    return (texts.get(lang) or texts["en"]).format(**params)
