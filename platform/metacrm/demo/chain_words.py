"""Words of the sales chain and product service demo data: requirement titles, payment
schedules, banks, ticket subjects and resolutions (zh and en)."""

from __future__ import annotations

# fmt: off

# opportunity theme (vocabulary.DEAL_THEMES, Chinese) -> product code prefixes it sells
THEME_PRODUCTS = {
    "CRM系统": ["SW-CRM", "SUB-CRM", "SUB-MOBILE", "SV-IMPL-CRM", "TR-USER", "SP-STD"],
    "ERP系统": ["SW-ERP", "SV-IMPL-ERP", "SV-DATA-MIG", "TR-ADMIN", "SP-STD"],
    "协同办公平台": ["SW-OA", "SUB-WECOM", "SUB-ESIGN", "TR-USER"],
    "仓储管理系统": ["SW-WMS", "HW-PDA", "HW-SCAN", "HW-PRN", "CS-LABEL", "SV-DEPLOY"],
    "数据分析平台": ["SW-BI", "SV-API", "CN-", "TR-ADMIN"],
    "人力资源系统": ["SW-HRM", "HW-ATT", "TR-USER", "SV-DATA-MIG"],
    "扫码枪及PDA设备": ["HW-SCAN", "HW-PDA", "CS-CRADLE", "SP-HW"],
    "会议平板": ["HW-PANEL", "SV-DEPLOY", "SP-HW"],
    "服务器及网络设备": ["HW-SRV", "HW-SW", "SV-DEPLOY", "SP-HW"],
    "RFID标签": ["HW-RFID", "CS-RFID", "HW-GW", "CS-RIBBON"],
    "运维服务": ["SP-STD", "SP-GOLD", "CN-REMOTE"],
    "驻场服务": ["SP-ONSITE", "SV-DEPLOY", "SV-IMPL-CRM"],
}
SERVICE_THEMES = {"运维服务", "驻场服务"}
HARDWARE_THEMES = {"扫码枪及PDA设备", "会议平板", "服务器及网络设备", "RFID标签"}

REQUIREMENT_TITLES = [
    "{t}需求调研", "{t}功能需求说明", "{t}选型需求", "{t}扩容需求", "{t}与现有系统集成需求",
    "{t}移动端需求", "{t}报表需求",
]
ENGLISH_REQUIREMENT_TITLES = [
    "{e}: requirements", "{e}: integration needs", "{e}: reporting needs", "{e}: scope",
]
CANCEL_REASONS = ["客户项目暂停", "需求合并到其他项目", "客户改为内部自研", "重复提交"]

DISCOUNT_LEVELS = [(0, 25), (5, 20), (10, 20), (15, 15), (20, 10), (25, 6), (30, 4)]
QUOTE_DECLINES = ["价格高于预算", "已按新报价替代", "客户选择了竞品", "交付周期太长"]
PAYMENT_TERMS = [
    "签约后30日内支付首付款，到货后支付到货款，验收合格后支付尾款。",
    "合同签订后按回款计划分期付款，款到开票。",
    "Payment by bank transfer within 30 days of each due date; invoice after payment.",
]
DELIVERY_TERMS = [
    "合同签订后4周内交付", "合同签订后2周内发货", "按项目计划分批交付", "付款后5个工作日开通",
]

# contract type -> (instalment name, percent) schedules; the first percent is the
# contract's down payment (the workflow plans it on activation)
SCHEDULES = {
    "sales": [
        [("首付款", 30), ("到货款", 60), ("验收款", 10)],
        [("首付款", 30), ("尾款", 70)],
        [("首付款", 50), ("验收款", 40), ("质保金", 10)],
    ],
    "service": [[("首期服务费", 50), ("二期服务费", 50)], [("年度服务费", 100)]],
    "subscription": [[("年度订阅费", 100)]],
    "framework": [[("第一季度", 25), ("第二季度", 25), ("第三季度", 25), ("第四季度", 25)]],
}
TERMINATION_REASONS = [
    "客户经营困难，双方协商终止", "客户被并购，业务调整", "服务范围变更，改签新合同",
]
PAYMENT_METHODS = [
    ("bank_transfer", 80), ("acceptance_bill", 8), ("online", 4), ("cheque", 3), ("offset", 3),
    ("cash", 2),
]
PAYMENT_REJECTIONS = ["银行流水中未找到该笔款项", "付款单位与合同客户不一致", "金额与银行到账不符"]
BANKS = [
    "中国工商银行", "中国建设银行", "中国银行", "中国农业银行", "交通银行", "招商银行",
    "浦发银行", "兴业银行", "中信银行",
]
REISSUE_REASONS = [
    ("wrong_title", 30), ("wrong_tax_number", 20), ("change_type", 20), ("wrong_amount", 15),
    ("lost", 10), ("other", 5),
]
REISSUE_DETAILS = {
    "wrong_title": "客户反馈发票抬头与营业执照名称不一致，需更正后重开。",
    "wrong_tax_number": "纳税人识别号填写错误，客户无法认证抵扣。",
    "change_type": "客户已登记为一般纳税人，要求将普通发票换开为专用发票。",
    "wrong_amount": "开票金额与本期实际回款金额不符，需按实际金额重开。",
    "lost": "纸质发票邮寄途中丢失，客户申请重新开具。",
    "other": "客户财务要求在备注栏注明合同编号。",
}

# --- product service ------------------------------------------------------------------

DEMO_SUBJECTS = ["{s}{t}产品演示", "{s}{t}方案演示", "{s}{t}试用环境演示"]
DEPLOY_SUBJECTS = ["{s}{t}现场部署", "{s}{t}上线部署", "{s}{t}安装调试"]
ENGLISH_DEMO_SUBJECTS = ["{s}: {e} demo", "{s}: {e} walkthrough"]
ENGLISH_DEPLOY_SUBJECTS = ["{s}: {e} deployment", "{s}: {e} go-live"]
REMOTE_PLACES = ["腾讯会议", "钉钉视频会议", "飞书会议", "Zoom"]
BOOKING_NEEDS = [
    "演示销售漏斗、客户公海和审批流程，客户信息部和销售部参加。",
    "重点展示移动端和企业微信集成。", "需按客户提供的样例数据准备演示环境。",
    "服务器已到货，需完成系统安装、初始化配置和数据导入。",
    "Show the reporting dashboards to the regional managers.",
]
BOOKING_FEEDBACK = [
    "演示顺利，客户对审批流和报表较满意，要求提供报价。",
    "客户关注数据安全，需补充私有化部署方案。", "部署完成，系统已上线试运行。",
    "安装调试完成，客户已签署部署确认单。", "Demo went well; they asked for a trial account.",
]
BOOKING_CANCELS = ["客户临时有会，改期另约", "客户需求变化，暂不需要", "工程师行程冲突，重新预约"]
ACCEPTANCE_NOTES = ["设备数量与型号核对无误，运行正常。", "系统功能符合合同要求，同意验收。"]
ACCEPTANCE_FAILURES = ["部分设备外包装破损，需更换后重新交付。", "报表功能未达到合同约定，需整改。"]
ONSITE_SUBJECTS = ["{s}{t}驻场实施", "{s}{t}上线保障", "{s}系统运维驻场"]
ONSITE_SCOPES = [
    "负责系统配置、用户培训和上线期间问题处理。", "每日巡检系统运行情况，处理用户问题并记录。",
    "配合客户完成数据迁移和接口联调。",
]
ONSITE_REPORTS = [
    "驻场期间完成系统配置与培训，共处理问题 {n} 个，系统运行稳定。",
    "完成数据迁移和接口联调，客户已签字确认驻场工作量。",
    "On-site support finished; {n} issues handled, handover document delivered.",
]
SATISFACTION = [("very_satisfied", 35), ("satisfied", 45), ("neutral", 15), ("dissatisfied", 5)]

# ticket category -> (subjects zh, subjects en, resolutions)
TICKETS = {
    "fault": (
        ["系统登录报错", "报表导出失败", "扫码枪无法识别条码", "打印机卡纸无法打印", "数据同步中断",
         "移动端闪退"],
        ["Cannot sign in", "Report export fails", "Sync stopped overnight"],
        ["清理缓存并重置账号后恢复正常。", "更新驱动程序后恢复。", "修复接口配置，数据已补同步。",
         "更换故障部件后设备恢复正常。"],
    ),
    "question": (
        ["如何设置审批流程", "如何批量导入客户", "权限如何配置", "报表字段含义咨询"],
        ["How to set up approvals", "How to import customers"],
        ["已远程指导客户完成配置。", "已发送操作手册并电话讲解。"],
    ),
    "installation": (
        ["新增终端安装配置", "服务器迁移后重新部署", "新门店设备安装"],
        ["Install on new terminals"],
        ["已完成安装并验证。", "远程协助完成部署配置。"],
    ),
    "change_request": (
        ["增加自定义字段", "调整审批节点", "新增报表需求"],
        ["Add a custom field", "Change an approval step"],
        ["已按需求完成配置变更。", "评估后纳入二期实施计划。"],
    ),
    "complaint": (
        ["响应不及时投诉", "实施进度延误投诉"],
        ["Slow response complaint"],
        ["已致电客户致歉并说明改进措施。", "调整实施计划并每周汇报进度。"],
    ),
    "training": (
        ["新员工操作培训", "管理员培训申请"],
        ["Training for new staff"],
        ["已安排线上培训并提供录屏。"],
    ),
    "other": (
        ["发票邮寄地址变更", "续费咨询"],
        ["Renewal question"],
        ["已转交相关部门处理并回复客户。"],
    ),
}
TICKET_CATEGORIES = [
    ("fault", 35), ("question", 25), ("installation", 10), ("change_request", 10),
    ("complaint", 5), ("training", 8), ("other", 7),
]
TICKET_PRIORITIES = [("urgent", 5), ("high", 20), ("normal", 55), ("low", 20)]
TICKET_CHANNELS = [("phone", 40), ("wechat", 25), ("email", 15), ("portal", 12), ("sales", 6),
                   ("onsite", 2)]
TICKET_DETAILS = [
    "客户反馈：{x}，影响{n}名用户日常工作，请尽快处理。", "{x}。客户已尝试重启，问题依旧。",
    "{x}，客户希望本周内解决。", "{x}. The customer sent screenshots by email.",
]
REOPEN_REASONS = ["客户反馈问题再次出现", "解决方案未覆盖全部门店"]

# fmt: on
