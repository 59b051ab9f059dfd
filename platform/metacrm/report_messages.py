"""Runtime messages of report subscriptions, in English and Chinese (merged into
i18n.MESSAGES)."""

from __future__ import annotations

REPORT_MESSAGES: dict[str, dict[str, str]] = {
    "subscription_every": {"en": "How often: 'day', 'week' or 'month'.",
                           "zh": "发送频率：'day'（每天）、'week'（每周）或 'month'（每月）。"},
    "subscription_at": {"en": "The time of day as HH:MM (e.g. 08:00), in the report's time "
                              "zone.",
                        "zh": "发送时间，格式 HH:MM（如 08:00），按报表的时区。"},
    "subscription_weekday": {"en": "A weekday: monday … sunday.",
                             "zh": "星期几：monday … sunday。"},
    "subscription_month_day": {"en": "A day of the month from 1 to {last}.",
                               "zh": "每月的第几天：1 到 {last}。"},
    "subscription_email": {"en": "Your account has no e-mail address to send the report to; "
                                 "ask an administrator to add one.",
                           "zh": "您的账号没有可接收报表的电子邮件地址，请联系管理员添加。"},
    "no_subscription": {"en": "You are not subscribed to report '{report}'.",
                        "zh": "您没有订阅报表 '{report}'。"},
}
