"""Runtime messages in English and Chinese, and the request's language."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from .audit_note_messages import AUDIT_NOTE_MESSAGES
from .dashboard_messages import DASHBOARD_MESSAGES
from .definitions import LANGUAGES
from .report_messages import REPORT_MESSAGES
from .workflow_messages import WORKFLOW_MESSAGES

_GENERAL: dict[str, dict[str, str]] = {
    "unknown_field": {"en": "Unknown field{hint}.", "zh": "未知字段{hint}"},
    "read_only": {"en": "This field is read-only.", "zh": "该字段为只读。"},
    "default_on_create": {"en": "This field takes its default when a record is created; "
                                "your role may not choose it.",
                          "zh": "该字段在新建记录时取默认值，您的角色不能指定。"},
    "transition_values_required_only": {
        "en": "You may fire this transition but not edit the record: only the fields it "
              "requires ({fields}) may come with it.",
        "zh": "您可以执行此流转，但不能编辑该记录：只能随流转提交其必填字段（{fields}）。"},
    "state_by_transitions": {
        "en": "This field is the workflow's state: only its transitions change it "
              "(POST /api/{entity}/<id>/transitions/<name>; a record's _transitions "
              "lists them).",
        "zh": "该字段是工作流状态，只能通过流转更改（POST /api/{entity}/<id>/transitions/<name>；"
              "记录的 _transitions 列出可用流转）。"},
    "required": {"en": "Missing data for required field.", "zh": "必填字段缺少数据。"},
    "null": {"en": "Field may not be null.", "zh": "该字段不能为空。"},
    "not_found_ref": {"en": "No {entity} with id {id}.", "zh": "不存在 id 为 {id} 的{entity}。"},
    "unique": {"en": "This value is already used by another record.",
               "zh": "该值已被其他记录使用。"},
    "not_found": {"en": "No {entity} with id {id}.", "zh": "不存在 id 为 {id} 的{entity}。"},
    "unknown_entity": {"en": "Unknown entity '{entity}'{hint}.",
                       "zh": "未知实体 '{entity}'{hint}。"},
    "stale": {"en": "The record has changed since version {expected} (it is now version "
                    "{actual}); reload it and apply your change again.",
              "zh": "记录已在版本 {expected} 之后被修改（当前版本 {actual}），请刷新后重新修改。"},
    "restricted": {"en": "Cannot delete: {count} {entity} record(s) still refer to it "
                         "through '{field}' (ids {ids}).",
                   "zh": "无法删除：仍有 {count} 条{entity}记录通过“{field}”引用它（id {ids}）。"},
    "not_deleted": {"en": "This record is not in the recycle bin.", "zh": "该记录不在回收站中。"},
    "restore_reference": {"en": "Restore {entity} #{id} first: this record refers to it "
                                "through '{field}'.",
                          "zh": "请先恢复{entity} #{id}：该记录通过“{field}”引用它。"},
    "bad_authorization": {"en": "Send credentials as 'Authorization: Bearer <token>'.",
                          "zh": "请以“Authorization: Bearer <令牌>”发送凭据。"},
    "bad_token": {"en": "This token is not valid: unknown, revoked, expired, or its user is "
                        "disabled.",
                  "zh": "令牌无效：不存在、已撤销、已过期或其用户已停用。"},
    "forbidden": {"en": "You may not {operation} {entity}.",
                  "zh": "您没有{operation}{entity}的权限。"},
    "out_of_scope": {"en": "You may read {entity} #{id} but not do this to it: it is not among "
                           "the records your role reaches for this operation.",
                     "zh": "您可以查看{entity} #{id}，但无权对其执行此操作："
                           "它不在您的角色可操作的记录范围内。"},
    "outside_reach": {"en": "The result would be outside the {entity} you may change "
                            "(your role's record scope).",
                      "zh": "操作结果将超出您可修改的{entity}范围（角色的记录范围）。"},
    "owner_needs_transfer": {"en": "Giving a record to someone else is a transfer, which your "
                                   "role may not do.",
                             "zh": "将记录交给他人属于转移操作，您的角色无此权限。"},
    "hold_limit": {"en": "Would hold more than the limit: {held} {entity} held, at most "
                         "{limit} allowed.",
                   "zh": "超出保有上限：已持有 {held} 个{entity}，最多允许 {limit} 个。"},
    # Batch transfer (runtime/transfer.py, web/transfer_api.py).
    "no_owner": {"en": "Records of {entity} do not change hands: the entity has no owner "
                       "(its owned_by names no user field).",
                 "zh": "{entity}记录不能转移：该实体没有负责人字段（owned_by 未指向用户字段）。"},
    "not_transferable": {"en": "No {entity} you may transfer with id(s) {ids}; nothing was "
                               "transferred.",
                         "zh": "以下 id 的{entity}不存在或您无权转移：{ids}；未转移任何记录。"},
    "inactive_target": {"en": "No active user with id {id}: records go only to an active user.",
                        "zh": "不存在 id 为 {id} 的在职用户：记录只能转移给在职用户。"},
    "target_out_of_reach": {"en": "{user} is outside the {entity} your role may transfer (its "
                                  "record scope); nothing was transferred.",
                            "zh": "{user} 不在您的角色可转移的{entity}范围内（角色的记录范围）；"
                                  "未转移任何记录。"},
    "transfer_hold_limit": {"en": "{user} would hold {total} {entity}, more than their limit "
                                  "of {limit} ({held} now, {gaining} from this transfer); "
                                  "nothing was transferred.",
                            "zh": "{user} 将持有 {total} 个{entity}，超出其保有上限 {limit}"
                                  "（现有 {held} 个，本次转入 {gaining} 个）；未转移任何记录。"},
    "transfer_too_many": {"en": "At most {max} records per transfer; send 'ids' in batches.",
                          "zh": "每次最多转移 {max} 条记录；请分批发送 ids。"},
    "transfer_which": {"en": "Give either 'ids' (record ids) or 'from_owner' (a user id), "
                             "not both.",
                       "zh": "请提供 ids（记录 id 列表）或 from_owner（用户 id）"
                             "之一，不能同时提供。"},
    "transfer_ids": {"en": "Expected a list of record ids, e.g. [12, 15].",
                     "zh": "应为记录 id 列表，例如 [12, 15]。"},
    "transfer_user": {"en": "Expected a user id (a whole number).",
                      "zh": "应为用户 id（整数）。"},
    "transfer_preview": {"en": "Say true to only preview, false to transfer.",
                         "zh": "填写 true 仅预览，false 执行转移。"},
    "transfer_note": {"en": "Expected text of at most {max} characters.",
                      "zh": "应为不超过 {max} 个字符的文本。"},
    "export_format": {"en": "Unknown format '{format}': use csv, json or xlsx.",
                      "zh": "未知格式 '{format}'：请使用 csv、json 或 xlsx。"},
    "report_export_format": {"en": "Unknown format '{format}': use csv or xlsx.",
                             "zh": "未知格式 '{format}'：请使用 csv 或 xlsx。"},
    # The public pool (runtime/pool.py, web/pool_api.py).
    "no_pool": {"en": "{entity} have no public pool: their records are not claimed or "
                      "returned.",
                "zh": "{entity}没有公海：其记录不能领取或退回。"},
    "claimed_meanwhile": {"en": "{entity} #{id} was claimed by someone else a moment ago.",
                          "zh": "{entity} #{id} 刚刚已被他人领取。"},
    "already_held": {"en": "{entity} #{id} is already held by someone; only records in the "
                           "{pool} can be claimed.",
                     "zh": "{entity} #{id} 已有负责人；只能领取{pool}中的记录。"},
    "already_yours": {"en": "You already hold {entity} #{id}.",
                      "zh": "您已是{entity} #{id} 的负责人。"},
    "claim_busy": {"en": "{entity} #{id} kept changing while it was being claimed; try again.",
                   "zh": "{entity} #{id} 在领取过程中被反复修改，请重试。"},
    "not_held": {"en": "{entity} #{id} is not held by anyone: it is already in the {pool}.",
                 "zh": "{entity} #{id} 没有负责人，已在{pool}中。"},
    "reason_required": {"en": "Say why the record goes back to the pool (text, at most {max} "
                              "characters).",
                        "zh": "请填写退回公海的原因（文本，最多 {max} 个字符）。"},
    "target_cannot_hold": {"en": "{user} may not read {entity}, so cannot hold them: give "
                                 "them a role that may.",
                           "zh": "{user} 没有查看{entity}的权限，无法接收：请先为其分配相应角色。"},
    "required_if": {"en": "Required here: the form asks for it when {condition}.",
                    "zh": "此处必填：当 {condition} 时表单要求填写。"},
    "readonly_if": {"en": "Cannot be changed now: the form makes it read-only when {condition}.",
                    "zh": "现在不能修改：当 {condition} 时表单将其设为只读。"},
    "form_condition_failed": {"en": "The form's condition '{condition}' could not be "
                                    "evaluated: {reason}",
                              "zh": "无法计算表单条件“{condition}”：{reason}"},
    "hidden_rule": {"en": "A rule about fields you cannot see refuses this change.",
                    "zh": "一条涉及您无权查看的字段的规则拒绝了此修改。"},
    "owner_by_transfer": {"en": "The owner changes hands by claim, release or transfer "
                                "(POST /api/{entity}/transfer), not by editing the record.",
                          "zh": "负责人只能通过领取、退回或转移"
                                "（POST /api/{entity}/transfer）变更，"
                                "不能直接编辑。"},
    "locked_for_approval": {"en": "The record is waiting for {approval} (approval #{id}): it "
                                  "cannot change until the chain is decided or withdrawn.",
                            "zh": "该记录正在等待{approval}（审批 #{id}），"
                                  "审批完成或撤回前不能修改。"},
    "formula_failed": {"en": "This formula could not be computed: {reason}.",
                       "zh": "该公式无法计算：{reason}。"},
    "rule_failed": {"en": "Rule '{rule}' could not be evaluated: {reason}.",
                    "zh": "规则“{rule}”无法求值：{reason}。"},
    "condition_failed": {"en": "The condition of {what} could not be evaluated: {reason}.",
                         "zh": "{what}的条件无法求值：{reason}。"},
    "too_large": {"en": "The computed value {value} is more than this field holds "
                        "(at most {limit} in magnitude).",
                  "zh": "计算结果 {value} 超出该字段可保存的范围（绝对值最多 {limit}）。"},
    "feeds_pending_chain": {
        "en": "{entity} #{record} is waiting for {approval} (approval #{id}): its "
              "{children} cannot change until the chain is decided or withdrawn.",
        "zh": "{entity} #{record} 正在等待{approval}（审批 #{id}），"
              "审批完成或撤回前不能修改其{children}。"},
    "read_only_state": {"en": "{entity} #{id} is {state}, and read-only in that state; {ways}.",
                        "zh": "{entity} #{id} 处于“{state}”状态，该状态下不能修改；{ways}。"},
    "read_only_state_with": {
        "en": "{entity} #{id} is {state}, and read-only in that state, as are its {children}; "
              "{ways}.",
        "zh": "{entity} #{id} 处于“{state}”状态，该状态下它及其{children}都不能修改；{ways}。"},
    "read_only_ways": {"en": "a transition out of it ({transitions}) changes that",
                       "zh": "须先通过流转（{transitions}）离开该状态"},
    "read_only_final": {"en": "no transition leads out of it", "zh": "没有可离开该状态的流转"},
    "read_only_values": {
        "en": "{entity} #{id} is {state}, and read-only in that state: only the fields "
              "“{transition}” requires ({fields}) may come with it.",
        "zh": "{entity} #{id} 处于“{state}”状态，该状态下不能修改："
              "随“{transition}”只能提交其必填字段"
              "（{fields}）。"},
    "parent_rule_broken": {"en": "{entity} #{id}: {message}", "zh": "{entity} #{id}：{message}"},
    "action_failed": {"en": "Could not compute {field} = {expression}: {reason}.",
                      "zh": "无法计算 {field} = {expression}：{reason}。"},
    "hook_refused": {"en": "{hook} refused: {reason}", "zh": "{hook} 拒绝：{reason}"},
    "admin_only": {"en": "Only an administrator may do this.", "zh": "只有管理员可以执行此操作。"},
    "design_only": {"en": "Only an administrator or a role that may design the form of "
                          "'{entity}' may do this.",
                    "zh": "只有管理员或有权设计“{entity}”表单的角色可以执行此操作。"},
    "no_credentials": {"en": "Sign in, or send an API token as 'Authorization: Bearer <token>'.",
                       "zh": "请先登录，或以“Authorization: Bearer <令牌>”发送 API 令牌。"},
    "bad_session": {"en": "Your session has ended; sign in again.",
                    "zh": "会话已失效，请重新登录。"},
    "bad_csrf": {"en": "Missing or wrong CSRF token: send the session's token as the "
                       "'X-CSRF-Token' header (or the form's csrf_token field).",
                 "zh": "缺少或错误的 CSRF 令牌："
                       "请在“X-CSRF-Token”请求头（或表单的 csrf_token 字段）中发送会话令牌。"},
    "bad_json": {"en": "The body must be a JSON object.", "zh": "请求体必须是 JSON 对象。"},
    "more_errors": {"en": "{count} more error(s) not listed: an answer lists the first {max}.",
                    "zh": "另有 {count} 个错误未列出：每次仅列出前 {max} 个。"},
    "too_many_keys": {"en": "The body holds more than {max} keys and list items (at any depth, "
                            "bulk items included); send less, or split it into several "
                            "requests.",
                      "zh": "请求体中的键和列表项"
                            "（含各层嵌套及批量记录）超过 {max} 个；请减少内容，"
                            "或拆分为多个请求。"},
    "too_deep": {"en": "The body nests objects and lists more than {max} levels deep.",
                 "zh": "请求体中对象和列表的嵌套超过 {max} 层。"},
    "sign_in_too_large": {"en": "A sign-in request is at most {max} bytes: a username and a "
                                "password.",
                          "zh": "登录请求最多 {max} 字节：只需用户名和密码。"},
    "database_unavailable": {"en": "The database could not be reached or is busy; nothing was "
                                   "changed. Try again in a moment.",
                             "zh": "数据库暂时无法访问或繁忙，未做任何更改，请稍后重试。"},
    "nul_character": {"en": "Text may not contain NUL characters (\\u0000).",
                      "zh": "文本不能包含 NUL 字符（\\u0000）。"},
    "bad_if_match": {"en": "If-Match must be a version such as \"3\".",
                     "zh": "If-Match 必须是版本号，例如 \"3\"。"},
    "too_many": {"en": "At most {max} records per request.", "zh": "每次请求最多 {max} 条记录。"},
    "min": {"en": "Must be greater than or equal to {min}.", "zh": "必须大于或等于 {min}。"},
    "max": {"en": "Must be less than or equal to {max}.", "zh": "必须小于或等于 {max}。"},
    "max_length": {"en": "Longer than maximum length {max}.", "zh": "超过最大长度 {max}。"},
    "pattern": {"en": "Does not match the expected format.", "zh": "格式不正确。"},
    "one_of": {"en": "Must be one of: {choices}.", "zh": "必须是以下之一：{choices}。"},
    "invalid": {"en": "Not a valid {kind}.", "zh": "不是有效的{kind}。"},
    # A date or date-time a client wrote in another form: say the one it takes.
    "invalid_date": {"en": "Not a valid date: write it as YYYY-MM-DD, e.g. 2026-11-22.",
                     "zh": "不是有效的日期：请写成 YYYY-MM-DD，例如 2026-11-22。"},
    "invalid_datetime": {"en": "Not a valid date and time: write it with its offset, e.g. "
                               "2026-11-22T08:30:00+08:00 or 2026-11-22T00:30:00Z.",
                         "zh": "不是有效的日期时间：请带上时区偏移，例如 "
                               "2026-11-22T08:30:00+08:00 或 2026-11-22T00:30:00Z。"},
    "datetime_range": {"en": "Out of range: in UTC this date-time falls outside the years "
                             "1 to 9999.",
                       "zh": "超出范围：换算为 UTC 后，该日期时间不在公元 1 年至 9999 年之间。"},
    "email": {"en": "Not a valid email address.", "zh": "不是有效的电子邮件地址。"},
    "url": {"en": "Not a valid URL.", "zh": "不是有效的网址。"},
    "phone": {"en": "Not a valid phone number.", "zh": "不是有效的电话号码。"},
    "duplicate_blocked": {"en": "A {entity} like this one exists already ({rule}).",
                          "zh": "已存在相似的{entity}（{rule}）。"},
    "duplicate_hidden": {"en": "A {entity} with this {fields} exists that you cannot see.",
                         "zh": "已存在{fields}相同的{entity}（您无权查看）。"},
    "merge_limit": {"en": "Give a number from 1 to {max}.", "zh": "请输入 1 至 {max} 之间的数字。"},
    "unknown_rule": {"en": "No duplicate rule '{rule}'.", "zh": "没有名为“{rule}”的查重规则。"},
    "merge_keep": {"en": "Give the id of the record to keep.", "zh": "请提供要保留的记录编号。"},
    "merge_others": {"en": "Give a list of 1 to {max} other record ids (not the kept one).",
                     "zh": "请提供 1 至 {max} 个其他记录编号（不含保留的记录）。"},
    "merge_values": {"en": "Expected an object: {{field: record id or {{\"value\": ...}}}}.",
                     "zh": "应为对象：{{字段: 记录编号或 {{\"value\": ...}}}}。"},
    "merge_field": {"en": "This field cannot be chosen in a merge.",
                    "zh": "合并时不能选择此字段。"},
    "merge_choice": {"en": "Give the id of one of the merged records, or {{\"value\": ...}}.",
                     "zh": "请提供被合并记录之一的编号，或 {{\"value\": ...}}。"},
    "not_merged": {"en": "Record {id} was not merged into another.",
                   "zh": "记录 {id} 未被合并。"},
    "uscc": {"en": "Not a valid unified social credit code (18 characters with a check "
                   "character).",
             "zh": "不是有效的统一社会信用代码（18位，含校验码）。"},
    # Users, teams, tokens and sign-in (web/identity_api.py, web/login.py).
    "username_taken": {"en": "The username '{username}' is already taken.",
                       "zh": "用户名 '{username}' 已被占用。"},
    "team_taken": {"en": "A team with code '{code}' already exists.",
                   "zh": "代码为 '{code}' 的团队已存在。"},
    # Saved list views (runtime/saved_views.py).
    "view_name": {"en": "A view needs a name of at most {max} characters.",
                  "zh": "视图需要名称，最多 {max} 个字符。"},
    "view_query": {"en": "The list query to save: text of at most {max} characters, as in "
                         "GET /api/<entity>?… (e.g. grade=A&sort=-annual_revenue).",
                   "zh": "要保存的列表查询：最多 {max} 个字符的文本，格式同 GET /api/<实体>?…"
                         "（如 grade=A&sort=-annual_revenue）。"},
    "view_query_refused": {"en": "In the list query, {parameter}: {text}",
                           "zh": "列表查询中 {parameter}：{text}"},
    "view_roles": {"en": "A list of role names.", "zh": "应为角色名称列表。"},
    "view_share_admin": {"en": "Only administrators share views with roles; save it for "
                               "yourself without 'roles'.",
                         "zh": "只有管理员可以把视图共享给角色；去掉 roles 可保存为个人视图。"},
    "view_taken": {"en": "You already have a view named '{name}' here.",
                   "zh": "这里已有名为“{name}”的视图。"},
    "no_view": {"en": "No saved view with id {id} of yours.", "zh": "您没有 id 为 {id} 的视图。"},
    "unknown_role": {"en": "Unknown role '{name}'{hint}.", "zh": "未知角色 '{name}'{hint}。"},
    "unknown_team": {"en": "Unknown team '{code}'{hint}.", "zh": "未知团队 '{code}'{hint}。"},
    "unknown_user": {"en": "No user with id {id}.", "zh": "不存在 id 为 {id} 的用户。"},
    "unknown_token": {"en": "No active token #{id} of yours.",
                      "zh": "您没有编号为 #{id} 的有效令牌。"},
    "unknown_parameter": {"en": "Unknown parameter{hint}.", "zh": "未知参数{hint}"},
    "own_manager": {"en": "A user cannot be their own manager.", "zh": "用户不能是自己的上级。"},
    "manager_cycle": {"en": "The reporting line would go round in a circle: the new manager "
                            "reports (directly or not) to this user.",
                      "zh": "汇报关系将形成循环：新上级（直接或间接）向该用户汇报。"},
    "team_code": {"en": "Use lower-case letters, digits, '-' or '_' (at most 40 characters).",
                  "zh": "请使用小写字母、数字、“-”或“_”（最多 40 个字符）。"},
    "no_spaces": {"en": "May not contain spaces.", "zh": "不能包含空格。"},
    "cannot_change": {"en": "This cannot be changed.", "zh": "该项不能修改。"},
    "admin_field": {"en": "Only an administrator may change this.",
                    "zh": "只有管理员可以修改此项。"},
    "self_only": {"en": "You may change only your own account.", "zh": "您只能修改自己的账号。"},
    "password_short": {"en": "A password needs at least {min} characters.",
                       "zh": "密码至少需要 {min} 个字符。"},
    "password_common": {"en": "This password is one of the most common ones, which attackers "
                              "try first: choose another.",
                        "zh": "该密码属于最常见的密码，攻击者会最先尝试，请换一个。"},
    "current_password": {"en": "Give your current password to set a new one.",
                         "zh": "设置新密码前请提供当前密码。"},
    "wrong_password": {"en": "This is not the current password.", "zh": "当前密码不正确。"},
    "token_password": {"en": "Give your current password to create a token while signed in "
                             "with a browser session.",
                       "zh": "通过浏览器会话创建令牌时，请提供当前密码。"},
    "only_with_password": {"en": "Send it only together with a new 'password'.",
                           "zh": "仅在设置新密码（password）时提供。"},
    "send_json": {"en": "Send the request as JSON (Content-Type: application/json).",
                  "zh": "请以 JSON 格式发送请求（Content-Type: application/json）。"},
    "token_expiry_both": {"en": "Give either 'expires_at' or 'expires_in_days', not both.",
                          "zh": "请只提供 expires_at 或 expires_in_days 之一。"},
    "token_expiry_past": {"en": "A token's expiry must be in the future.",
                          "zh": "令牌的过期时间必须晚于当前时间。"},
    "token_expiry_days": {"en": "A token may live from 1 day to {max} days.",
                          "zh": "令牌有效期应为 1 至 {max} 天。"},
    "signin_refused": {"en": "Wrong username or password.", "zh": "用户名或密码错误。"},
    "signin_throttled": {"en": "Too many failed sign-ins; try again in {seconds} seconds.",
                         "zh": "登录失败次数过多，请在 {seconds} 秒后重试。"},
    "report_step": {"en": "Step", "zh": "阶段"},
    "report_total": {"en": "Total", "zh": "合计"},
    "report_empty": {"en": "(empty)", "zh": "（空）"},
    # A period parameter's value, as a file or an e-mail shows it (the page has its own).
    "period_this_month": {"en": "this month", "zh": "本月"},
    "period_last_month": {"en": "last month", "zh": "上月"},
    "period_this_quarter": {"en": "this quarter", "zh": "本季度"},
    "period_last_quarter": {"en": "last quarter", "zh": "上季度"},
    "period_this_year": {"en": "this year", "zh": "今年"},
    "period_last_year": {"en": "last year", "zh": "去年"},
    "period_all": {"en": "all time", "zh": "全部时间"},
    "report_mail_greeting": {"en": "Hello {name},", "zh": "{name}，您好："},
    "report_mail_body": {"en": "Attached is the report \"{report}\", run for you with:",
                         "zh": "附件是为您运行的报表“{report}”，条件："},
    "report_mail_scope": {"en": "It counts the records you may read, as the report page "
                                "would show you.",
                          "zh": "报表只统计您有权查看的记录，与报表页面向您显示的一致。"},
    "report_as_of": {"en": "As of {moment} UTC", "zh": "截至 {moment} UTC"},
    "report_conversion": {"en": "Conversion from the step before", "zh": "较上一阶段转化率"},
    "report_from_first": {"en": "Conversion from the first step", "zh": "较首个阶段转化率"},
}

# Each key once (tests/test_messages.py): one in both would silently keep one meaning.
MESSAGES: dict[str, dict[str, str]] = {**_GENERAL, **WORKFLOW_MESSAGES, **DASHBOARD_MESSAGES,
                                       **REPORT_MESSAGES, **AUDIT_NOTE_MESSAGES}

OPERATION_NAMES: dict[str, dict[str, str]] = {
    "read": {"en": "read", "zh": "查看"}, "create": {"en": "create", "zh": "新建"},
    "update": {"en": "change", "zh": "修改"}, "delete": {"en": "delete", "zh": "删除"},
    "export": {"en": "export", "zh": "导出"}, "import": {"en": "import", "zh": "导入"},
    "transfer": {"en": "transfer", "zh": "转移"}, "claim": {"en": "claim", "zh": "领取"},
    "release": {"en": "release", "zh": "退回"},
    "comment": {"en": "comment on", "zh": "评论"},
    "design": {"en": "design the form of", "zh": "设计表单"},
}

KIND_NAMES: dict[str, dict[str, str]] = {
    "integer": {"en": "integer", "zh": "整数"}, "decimal": {"en": "number", "zh": "数字"},
    "money": {"en": "amount", "zh": "金额"}, "percent": {"en": "percentage", "zh": "百分比"},
    "boolean": {"en": "boolean", "zh": "布尔值"}, "date": {"en": "date", "zh": "日期"},
    "datetime": {"en": "date and time", "zh": "日期时间"}, "string": {"en": "text", "zh": "文本"},
    "list": {"en": "list", "zh": "列表"}, "id": {"en": "record id", "zh": "记录编号"},
}


def message(key: str, lang: str = "en", **params: object) -> str:
    """Translate the template first, then format it."""
    templates = MESSAGES[key]
    return (templates.get(lang) or templates["en"]).format(**params)


def suggestion(word: str, choices: Iterable[str], lang: str) -> str:
    """A spelling hint in the reader's language, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        return ""
    return f"（您是否想输入 '{close[0]}'？）" if lang == "zh" else f" (did you mean '{close[0]}'?)"


def operation_name(operation: str, lang: str) -> str:
    names = OPERATION_NAMES.get(operation, {"en": operation})
    return names.get(lang) or names["en"]


def kind_name(kind: str, lang: str) -> str:
    names = KIND_NAMES.get(kind, {"en": kind})
    return names.get(lang) or names["en"]


def negotiate_language(accept_language: str | None) -> str:
    """The best of our languages for an ``Accept-Language`` header."""
    if not accept_language:
        return "en"
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else "en"
