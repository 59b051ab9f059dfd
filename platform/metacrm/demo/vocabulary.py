"""Words, names, places and catalogues the demo data is drawn from (zh and en)."""

from __future__ import annotations

BATCH_SIZE = 500
BASE_COUNTS = {
    "tag": 40,
    "product": 60,
    "customer": 1500,
    "contact": 3000,
    "opportunity": 1200,
    "activity": 4000,
    # the sales chain and product service (demo/chain.py, demo/service.py); quote lines,
    # payment plans, payments and invoices follow from quotes and contracts
    "requirement": 200,
    "quote": 240,
    "contract": 180,
    "invoice_reissue": 15,
    "service_booking": 120,
    "delivery": 150,
    "onsite_service": 40,
    "ticket": 300,
}
HISTORY_DAYS = 730  # dates spread over the last two years

# fmt: off

# --- people --------------------------------------------------------------------

# (surname, pinyin, weight): the commonest Chinese surnames, roughly by frequency
SURNAMES = [
    ("王", "wang", 70), ("李", "li", 70), ("张", "zhang", 65), ("刘", "liu", 55),
    ("陈", "chen", 45), ("杨", "yang", 32), ("黄", "huang", 24), ("赵", "zhao", 22),
    ("吴", "wu", 21), ("周", "zhou", 20), ("徐", "xu", 16), ("孙", "sun", 15), ("马", "ma", 14),
    ("朱", "zhu", 13), ("胡", "hu", 12), ("郭", "guo", 12), ("何", "he", 11), ("林", "lin", 11),
    ("高", "gao", 10), ("罗", "luo", 10), ("郑", "zheng", 9), ("梁", "liang", 9), ("谢", "xie", 8),
    ("宋", "song", 7), ("唐", "tang", 7), ("许", "xu", 7), ("韩", "han", 6), ("冯", "feng", 6),
    ("邓", "deng", 6), ("曹", "cao", 6), ("彭", "peng", 5), ("曾", "zeng", 5), ("肖", "xiao", 5),
    ("田", "tian", 5), ("董", "dong", 5), ("潘", "pan", 4), ("袁", "yuan", 4), ("蔡", "cai", 4),
    ("蒋", "jiang", 4), ("余", "yu", 4), ("于", "yu", 4), ("杜", "du", 4), ("叶", "ye", 4),
    ("程", "cheng", 4), ("魏", "wei", 3), ("苏", "su", 3), ("吕", "lv", 3), ("丁", "ding", 3),
    ("任", "ren", 3), ("沈", "shen", 3), ("姚", "yao", 3), ("卢", "lu", 3), ("钟", "zhong", 3),
    ("姜", "jiang", 3), ("崔", "cui", 2), ("谭", "tan", 2), ("陆", "lu", 2), ("范", "fan", 2),
    ("汪", "wang", 2), ("廖", "liao", 2), ("石", "shi", 2), ("金", "jin", 2), ("贾", "jia", 2),
    ("夏", "xia", 2), ("方", "fang", 2), ("邹", "zou", 2), ("熊", "xiong", 2), ("白", "bai", 2),
    ("孟", "meng", 2), ("秦", "qin", 2), ("邱", "qiu", 2), ("侯", "hou", 2), ("欧阳", "ouyang", 1),
    ("司马", "sima", 1), ("诸葛", "zhuge", 1),
]
GIVEN_CHARS = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀", "xiu"),
    ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("英", "ying"), ("华", "hua"), ("建", "jian"),
    ("文", "wen"), ("辉", "hui"), ("玲", "ling"), ("鹏", "peng"), ("宇", "yu"), ("浩", "hao"),
    ("婷", "ting"), ("雪", "xue"), ("琳", "lin"), ("晨", "chen"), ("欣", "xin"), ("佳", "jia"),
    ("子", "zi"), ("思", "si"), ("博", "bo"), ("俊", "jun"), ("晓", "xiao"), ("海", "hai"),
    ("志", "zhi"), ("国", "guo"), ("红", "hong"), ("春", "chun"), ("云", "yun"), ("飞", "fei"),
    ("斌", "bin"), ("峰", "feng"), ("凯", "kai"), ("倩", "qian"), ("颖", "ying"), ("慧", "hui"),
    ("琪", "qi"), ("瑶", "yao"), ("嘉", "jia"), ("一", "yi"), ("天", "tian"), ("雨", "yu"),
    ("诗", "shi"), ("然", "ran"), ("睿", "rui"), ("航", "hang"), ("泽", "ze"), ("轩", "xuan"),
    ("怡", "yi"), ("璐", "lu"), ("丹", "dan"), ("立", "li"), ("新", "xin"), ("成", "cheng"),
    ("东", "dong"), ("亮", "liang"), ("梦", "meng"),
]
ENGLISH_GIVEN = [
    "David", "Kevin", "Jason", "Eric", "Tony", "Michael", "Leo", "Frank", "Peter", "Vincent",
    "Grace", "Linda", "Cindy", "Amy", "Emily", "Vivian", "Helen", "Jessica", "Sophie", "Iris",
    "Coco", "Anna", "Daniel", "Ryan",
]
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182", "183",
    "185", "186", "187", "188", "189", "191", "193", "195", "198", "199",
]
# department -> positions held there
POSITIONS = {
    "总经办": ["总经理", "副总经理", "董事长", "总经理助理"],
    "采购部": ["采购总监", "采购经理", "采购专员"],
    "信息部": ["CIO", "IT经理", "信息化主管", "系统管理员"],
    "财务部": ["财务总监", "财务经理", "会计"], "销售部": ["销售总监", "销售经理", "大客户经理"],
    "市场部": ["市场总监", "市场经理", "品牌经理"], "运营部": ["运营总监", "运营经理"],
    "行政部": ["行政经理", "行政主管"], "人力资源部": ["HR总监", "招聘经理", "人事专员"],
    "生产部": ["厂长", "生产经理", "车间主任"], "技术部": ["CTO", "技术总监", "研发经理", "工程师"],
}
CONTACT_NOTES = [
    "决策人，关注性价比和投资回报。", "技术背景，关注系统集成与数据安全。",
    "喜欢喝茶，周三下午方便拜访。", "实际使用部门负责人，对易用性要求高。",
    "曾在竞品公司任职，了解行业方案。", "负责招标流程，需提前准备资质文件。", "英文沟通更顺畅。",
    "节假日前需要礼品关怀。", "对价格敏感，倾向分期付款。", "Prefers email; replies within a day.",
    "Key influencer for the budget decision.",
]

# --- places ----------------------------------------------------------------------

# (province, city, pinyin, area code, districts, weight)
CITIES = [
    ("上海市", "上海", "shanghai", "021", ["浦东新区", "徐汇区", "静安区", "闵行区", "长宁区"], 14),
    ("北京市", "北京", "beijing", "010", ["朝阳区", "海淀区", "东城区", "丰台区", "西城区"], 13),
    ("广东省", "深圳", "shenzhen", "0755", ["南山区", "福田区", "宝安区", "龙岗区"], 10),
    ("广东省", "广州", "guangzhou", "020", ["天河区", "越秀区", "海珠区", "番禺区"], 9),
    ("浙江省", "杭州", "hangzhou", "0571", ["西湖区", "滨江区", "余杭区", "拱墅区"], 8),
    ("江苏省", "苏州", "suzhou", "0512", ["工业园区", "吴中区", "姑苏区", "相城区"], 7),
    ("江苏省", "南京", "nanjing", "025", ["鼓楼区", "玄武区", "江宁区", "建邺区"], 6),
    ("四川省", "成都", "chengdu", "028", ["武侯区", "锦江区", "青羊区", "成华区"], 6),
    ("湖北省", "武汉", "wuhan", "027", ["江汉区", "洪山区", "武昌区", "汉阳区"], 5),
    ("天津市", "天津", "tianjin", "022", ["和平区", "南开区", "滨海新区"], 4),
    ("重庆市", "重庆", "chongqing", "023", ["渝中区", "江北区", "渝北区"], 4),
    ("陕西省", "西安", "xian", "029", ["雁塔区", "碑林区", "未央区"], 4),
    ("浙江省", "宁波", "ningbo", "0574", ["鄞州区", "海曙区", "北仑区"], 3),
    ("江苏省", "无锡", "wuxi", "0510", ["滨湖区", "梁溪区", "新吴区"], 3),
    ("山东省", "青岛", "qingdao", "0532", ["市南区", "崂山区", "黄岛区"], 3),
    ("山东省", "济南", "jinan", "0531", ["历下区", "市中区", "槐荫区"], 2),
    ("福建省", "厦门", "xiamen", "0592", ["思明区", "湖里区", "集美区"], 3),
    ("福建省", "福州", "fuzhou", "0591", ["鼓楼区", "台江区", "仓山区"], 2),
    ("湖南省", "长沙", "changsha", "0731", ["岳麓区", "芙蓉区", "天心区"], 3),
    ("河南省", "郑州", "zhengzhou", "0371", ["金水区", "二七区", "管城区"], 3),
    ("安徽省", "合肥", "hefei", "0551", ["蜀山区", "包河区", "庐阳区"], 3),
    ("广东省", "东莞", "dongguan", "0769", ["南城街道", "松山湖", "长安镇"], 3),
    ("广东省", "佛山", "foshan", "0757", ["禅城区", "南海区", "顺德区"], 3),
    ("辽宁省", "大连", "dalian", "0411", ["中山区", "沙河口区", "甘井子区"], 2),
    ("辽宁省", "沈阳", "shenyang", "024", ["和平区", "沈河区", "浑南区"], 2),
    ("云南省", "昆明", "kunming", "0871", ["五华区", "盘龙区", "官渡区"], 2),
]
STREETS = [
    "人民路", "中山路", "解放路", "建设路", "长江路", "科技路", "创新大道", "学院路", "延安路",
    "世纪大道", "高新大道", "滨江大道", "新华路", "和平路", "金融街", "软件园路",
]
BUILDINGS = ["国际大厦", "科技园", "商务中心", "金融中心", "创业园", "广场", "写字楼", "产业园"]

# --- companies ---------------------------------------------------------------------

BRAND_WORDS = [
    ("星河", "xinghe"), ("华信", "huaxin"), ("蓝海", "lanhai"), ("鼎盛", "dingsheng"),
    ("恒通", "hengtong"), ("远航", "yuanhang"), ("锦程", "jincheng"), ("宏达", "hongda"),
    ("瑞丰", "ruifeng"), ("金桥", "jinqiao"), ("天成", "tiancheng"), ("汇智", "huizhi"),
    ("博远", "boyuan"), ("润泽", "runze"), ("盛世", "shengshi"), ("新元", "xinyuan"),
    ("中联", "zhonglian"), ("永信", "yongxin"), ("嘉禾", "jiahe"), ("万通", "wantong"),
    ("华夏", "huaxia"), ("东方", "dongfang"), ("银河", "yinhe"), ("恒瑞", "hengrui"),
    ("鑫源", "xinyuan"), ("联创", "lianchuang"), ("安捷", "anjie"), ("云帆", "yunfan"),
    ("青松", "qingsong"), ("德润", "derun"), ("海川", "haichuan"), ("凯旋", "kaixuan"),
    ("启明", "qiming"), ("泰和", "taihe"), ("卓越", "zhuoyue"), ("明德", "mingde"),
    ("百川", "baichuan"), ("众合", "zhonghe"), ("华晟", "huasheng"), ("信达", "xinda"),
    ("弘毅", "hongyi"), ("九州", "jiuzhou"), ("思远", "siyuan"), ("易联", "yilian"),
    ("优品", "youpin"), ("同创", "tongchuang"), ("精诚", "jingcheng"), ("长风", "changfeng"),
]
ENGLISH_WORDS = [
    "Northstar", "Bluewave", "Silverline", "Evergreen", "Pinnacle", "Summit", "Horizon", "Redwood",
    "Apex", "Lumen", "Nova", "Atlas", "Orion", "Vertex", "Crestview", "Harbor", "Brightpath",
    "Ironbridge", "Sunrise", "Keystone", "Meridian", "Cobalt",
]
# industry value -> (weight, [(name part, domain part)], English suffix)
INDUSTRIES: dict[str, tuple[int, list[tuple[str, str]], str]] = {
    "software": (
        14, [("科技", "tech"), ("软件", "soft"), ("信息技术", "it"), ("网络科技", "net")],
        "Technologies",
    ),
    "manufacturing": (
        14,
        [
            ("机械制造", "machinery"), ("精密机械", "precision"), ("重工", "heavy"),
            ("工业设备", "equipment"),
        ],
        "Manufacturing",
    ),
    "electronics": (
        7, [("电子", "elec"), ("电器", "appliance"), ("光电", "optics")], "Electronics",
    ),
    "automotive": (4, [("汽车零部件", "auto"), ("汽车配件", "autoparts")], "Automotive"),
    "retail": (6, [("商贸", "commerce"), ("百货", "store"), ("连锁超市", "mart")], "Retail"),
    "trade": (9, [("贸易", "trade"), ("进出口", "impex"), ("供应链", "supply")], "Trading"),
    "food": (6, [("食品", "food"), ("饮品", "drinks"), ("餐饮管理", "catering")], "Foods"),
    "finance": (
        3, [("投资管理", "capital"), ("融资租赁", "leasing"), ("保险代理", "insure")], "Capital",
    ),
    "education": (4, [("教育科技", "edu"), ("职业培训", "training")], "Education"),
    "healthcare": (
        5, [("医疗器械", "medical"), ("医药", "pharma"), ("生物科技", "bio")], "Healthcare",
    ),
    "real_estate": (3, [("置业", "estate"), ("物业管理", "property")], "Properties"),
    "construction": (
        4, [("建设工程", "build"), ("建筑装饰", "deco"), ("建材", "materials")], "Engineering",
    ),
    "logistics": (
        5, [("物流", "logistics"), ("货运代理", "freight"), ("仓储", "storage")], "Logistics",
    ),
    "energy": (3, [("新能源", "energy"), ("电力工程", "power")], "Energy"),
    "chemicals": (3, [("化工", "chem"), ("新材料", "material"), ("涂料", "coatings")], "Chemicals"),
    "agriculture": (2, [("农业科技", "agri"), ("生态农业", "farm")], "Agritech"),
    "media": (3, [("文化传媒", "media"), ("广告", "ads"), ("影视", "film")], "Media"),
    "telecom": (2, [("通信技术", "telecom"), ("通讯设备", "comm")], "Communications"),
    "hospitality": (2, [("酒店管理", "hotel"), ("餐饮", "dining")], "Hospitality"),
    "professional_services": (
        4, [("企业管理咨询", "consulting"), ("人力资源服务", "hr"), ("知识产权代理", "ip")],
        "Consulting",
    ),
    "government": (1, [], ""), "other": (2, [("实业", "industry"), ("发展", "dev")], "Holdings"),
}
GOVERNMENT_UNITS = [
    ("市大数据管理局", "dsj"), ("市交通运输局", "jtj"), ("市公共资源交易中心", "ggzy"),
    ("市人民医院", "rmyy"), ("市第一中学", "yz"), ("市政务服务中心", "zwfw"),
]
# short names keep the distinctive part of a long industry part
SHORT_PARTS = {
    "信息技术": "信息", "网络科技": "网络", "机械制造": "机械", "精密机械": "精密",
    "工业设备": "工业", "汽车零部件": "汽车", "汽车配件": "汽配", "连锁超市": "超市",
    "供应链": "供应链", "进出口": "进出口", "餐饮管理": "餐饮", "投资管理": "投资",
    "融资租赁": "租赁", "保险代理": "保险", "教育科技": "教育", "职业培训": "培训",
    "医疗器械": "医疗", "生物科技": "生物", "物业管理": "物业", "建设工程": "建设",
    "建筑装饰": "装饰", "货运代理": "货运", "新能源": "新能源", "电力工程": "电力",
    "新材料": "新材料", "农业科技": "农业", "生态农业": "农业", "文化传媒": "传媒",
    "通信技术": "通信", "通讯设备": "通讯", "酒店管理": "酒店", "企业管理咨询": "咨询",
    "人力资源服务": "人力", "知识产权代理": "知识产权",
}
LEGAL_FORMS = [("有限公司", 70), ("股份有限公司", 15), ("集团有限公司", 5)]

LIFECYCLES = [
    ("potential", 20), ("lead", 25), ("opportunity", 20), ("customer", 25), ("public_pool", 10),
]
SOURCES = [
    "website", "referral", "trade_show", "cold_call", "advertising", "social_media", "seminar",
    "partner", "api_import", "other",
]
SOURCE_WEIGHTS = [18, 16, 10, 10, 8, 10, 6, 10, 8, 4]
CUSTOMER_NOTES = [
    "区域龙头企业，计划两年内完成数字化升级。", "老客户转介绍，信任度较高。",
    "采购流程规范，需走招投标。", "有多个分支机构，需统一管理。", "今年预算已批，下半年启动项目。",
    "与竞品有合作，合同明年到期。", "Subsidiary of a European group; decisions need HQ approval.",
    "Fast-growing company, expanding its sales team this year.",
]

# --- catalogue ---------------------------------------------------------------------

TAGS = [
    "重点跟进", "VIP", "老客户转介绍", "价格敏感", "决策周期长", "预算充足", "预算待定", "政府采购",
    "招投标项目", "年度框架协议", "需要演示", "竞品在用", "已试用", "续约提醒", "高潜力",
    "上市公司", "外资企业", "国有企业", "民营企业", "中小企业", "集团客户", "多分支机构",
    "关注售后", "技术导向", "老板决策", "有采购计划", "展会获客", "官网留资", "渠道推荐", "已报价",
    "待回款", "需开票", "流失风险", "沉睡客户", "已回访", "节日关怀", "华东区", "华南区", "华北区",
    "西南区", "华中区", "Key account", "Reference customer", "Fortune 500", "Export",
    "English speaking",
]
TAG_COLORS = [
    "#5b8ff9", "#61ddaa", "#65789b", "#f6bd16", "#7262fd", "#78d3f8", "#9661bc", "#f6903d",
    "#008685", "#f08bb4", "#e8684a", "#2ba471",
]

# (name, code, price, unit, category, specification)
SOFTWARE = [
    ("CRM 客户管理系统", "CRM", 29800), ("ERP 企业资源计划系统", "ERP", 68000),
    ("OA 协同办公平台", "OA", 19800), ("WMS 仓储管理系统", "WMS", 45000),
    ("BI 数据分析平台", "BI", 38000), ("HR 人力资源管理系统", "HRM", 24800),
]
EDITIONS = [("标准版", "STD", 1), ("专业版", "PRO", 2), ("旗舰版", "ENT", 4)]
PRODUCTS: list[tuple[str, str, int, str, str, str]] = [
    (
        f"{system} {edition}", f"SW-{code}-{ecode}", base * mult, "license", "software",
        f"含 {10 * mult * mult} 个用户授权",
    )
    for system, code, base in SOFTWARE
    for edition, ecode, mult in EDITIONS
]
PRODUCTS += [
    (
        "CRM 云服务（按用户订阅）", "SUB-CRM-USER", 1200, "user_year", "subscription",
        "SaaS，按年付费",
    ),
    ("企业微信集成插件", "SUB-WECOM", 6800, "year", "subscription", "年费"),
    ("短信通知服务包（10 万条）", "SUB-SMS-100K", 4500, "set", "subscription", "有效期 1 年"),
    ("云存储扩容 1TB", "SUB-STORAGE-1T", 2400, "year", "subscription", "年费"),
    ("移动销售 App", "SUB-MOBILE", 600, "user_year", "subscription", "iOS / Android"),
    ("电子签章服务", "SUB-ESIGN", 9800, "year", "subscription", "不限签署次数"),
    ("工业级扫码枪 X1", "HW-SCAN-X1", 890, "piece", "hardware", "一维/二维码，USB"),
    ("手持 PDA 终端 P8", "HW-PDA-P8", 3200, "unit", "hardware", "安卓 12，IP67"),
    ("智能门禁一体机", "HW-ACCESS-A3", 5600, "set", "hardware", "人脸识别"),
    ("机架式服务器 R740", "HW-SRV-R740", 68000, "unit", "hardware", "2U，双路 CPU，128G 内存"),
    ("千兆交换机 24 口", "HW-SW-24G", 4200, "unit", "hardware", "24 电口 + 4 光口"),
    ("触控会议平板 65 英寸", "HW-PANEL-65", 15800, "unit", "hardware", "4K，含移动支架"),
    ("工业标签打印机 ZT410", "HW-PRN-ZT410", 9800, "unit", "hardware", "203dpi"),
    ("RFID 读写器 R2000", "HW-RFID-R2000", 7600, "unit", "hardware", "超高频，四通道"),
    ("人脸考勤机 F7", "HW-ATT-F7", 1680, "unit", "hardware", "WiFi，云考勤"),
    ("边缘计算网关 G5", "HW-GW-G5", 12800, "unit", "hardware", "支持 Modbus / OPC UA"),
    ("热敏标签纸 100×150", "CS-LABEL-100150", 260, "box", "consumable", "500 张/卷，20 卷/箱"),
    ("RFID 电子标签", "CS-RFID-TAG", 1500, "box", "consumable", "1000 张/箱"),
    ("碳带 110mm×300m", "CS-RIBBON-110", 35, "piece", "consumable", "混合基"),
    ("打印头 ZT410 专用", "CS-HEAD-ZT410", 1200, "piece", "consumable", "原厂配件"),
    ("扫码枪充电底座", "CS-CRADLE-X1", 180, "piece", "consumable", "适用 X1"),
    ("CRM 实施服务", "SV-IMPL-CRM", 2500, "person_day", "implementation", "需求调研、配置、上线"),
    ("ERP 实施服务", "SV-IMPL-ERP", 3000, "person_day", "implementation", "含蓝图设计"),
    ("历史数据迁移", "SV-DATA-MIG", 20000, "set", "implementation", "100 万条以内"),
    ("系统集成接口开发", "SV-API-DEV", 3000, "person_day", "implementation", "REST / WebService"),
    ("现场部署服务", "SV-DEPLOY", 2000, "person_day", "implementation", "含硬件安装调试"),
    ("私有化部署服务", "SV-ONPREM", 50000, "set", "implementation", "客户机房或私有云"),
    ("销售流程咨询", "CN-SALES", 6000, "person_day", "consulting", "销售漏斗与考核设计"),
    ("数字化转型规划咨询", "CN-DIGITAL", 150000, "set", "consulting", "8 周交付"),
    ("专家远程咨询", "CN-REMOTE", 800, "hour", "consulting", "线上会议"),
    ("管理员培训", "TR-ADMIN", 5000, "session", "training", "1 天，不超过 10 人"),
    ("最终用户培训", "TR-USER", 3000, "session", "training", "半天，不超过 30 人"),
    ("定制化内训", "TR-CUSTOM", 4500, "person_day", "training", "按需定制课程"),
    ("认证考试", "TR-CERT", 1500, "session", "training", "含证书"),
    ("标准运维服务", "SP-STD", 18000, "year", "support", "5×8 远程支持"),
    ("金牌支持服务 7×24", "SP-GOLD", 58000, "year", "support", "7×24，2 小时响应"),
    ("驻场服务", "SP-ONSITE", 25000, "month", "support", "1 名工程师驻场"),
    ("硬件延保 3 年", "SP-HW-EXT3", 2400, "set", "support", "整机延保"),
]
CATEGORY_BLURBS = {
    "software": "按授权一次性购买，含首年升级服务。",
    "subscription": "按期订阅，到期可续费，随时增减用户数。",
    "hardware": "整机保修一年，全国联保。", "consumable": "常备库存，下单后 3 个工作日内发货。",
    "implementation": "由认证顾问交付，按实际工作量结算。",
    "consulting": "资深顾问提供，交付咨询报告。", "training": "可线上或线下进行，提供培训资料。",
    "support": "按年签订服务协议，提供服务报告。",
}

# --- deals and follow-ups ----------------------------------------------------------

OPEN_STAGES = [("qualify", 10), ("needs_analysis", 30), ("proposal", 50), ("negotiation", 80)]
DEAL_THEMES = [
    ("CRM系统", "CRM rollout"), ("ERP系统", "ERP upgrade"), ("协同办公平台", "OA platform"),
    ("仓储管理系统", "WMS project"), ("数据分析平台", "BI platform"), ("人力资源系统", "HR system"),
    ("扫码枪及PDA设备", "scanner purchase"), ("会议平板", "meeting room displays"),
    ("服务器及网络设备", "server refresh"), ("RFID标签", "RFID labels"),
    ("运维服务", "support renewal"), ("驻场服务", "on-site service"),
]
DEAL_FORMS = ["{t}采购项目", "{t}升级项目", "{y}年度{t}", "{t}二期", "{t}集中采购", "{t}试点"]
COMPETITORS = [
    "华软科技", "云帆数科", "恒信软件", "本地集成商", "Acme Systems", "Globex Software",
    "客户内部自研", "华软科技、Acme Systems",
]
LOST_REASONS = [
    "价格高于竞品", "客户预算削减", "项目暂停", "选择了竞争对手", "需求不匹配", "决策人变更",
    "客户决定内部自研", "Budget frozen by headquarters",
]
LOSS_CATEGORIES = {  # each reason above in the loss_category option set's words
    "价格高于竞品": "price", "客户预算削减": "budget", "项目暂停": "timing",
    "选择了竞争对手": "competitor", "需求不匹配": "needs_mismatch", "决策人变更": "decision_maker",
    "客户决定内部自研": "in_house", "Budget frozen by headquarters": "budget",
}
NEEDS = [
    "现有系统老化，希望统一管理{t}相关数据，预计 {n} 个用户使用，要求支持移动端和企业微信集成。",
    "客户计划在 {y} 年完成{t}建设，关注实施周期和后续运维，需要提供同行业案例。",
    "需要对接现有财务系统，要求私有化部署，{n} 人规模，预算待确认。",
    "多分支机构统一采购{t}，希望分批交付，首批 {n} 套。",
    "Needs a {e} for about {n} users, with Chinese and English interfaces.",
]
ACTIVITY_TYPES = [
    ("call", 30), ("wechat", 25), ("visit", 15), ("email", 12), ("meeting", 10), ("demo", 5),
    ("sms", 2), ("other", 1),
]
TOPICS = [
    "需求细节", "报价方案", "合同条款", "付款进度", "实施计划", "试用反馈", "续费事宜", "新品介绍",
    "售后问题", "采购预算", "技术方案", "开票信息",
]
SUBJECTS = {
    "call": "电话沟通{x}", "wechat": "微信沟通{x}", "visit": "上门拜访，洽谈{x}",
    "email": "邮件发送{x}资料", "meeting": "{x}线上会议", "demo": "产品演示及{x}",
    "sms": "短信提醒{x}", "other": "{x}跟进",
}
ENGLISH_SUBJECTS = {
    "call": "Call about {x}", "wechat": "WeChat chat about {x}", "visit": "Site visit: {x}",
    "email": "Sent {x} by email", "meeting": "Meeting on {x}", "demo": "Product demo and {x}",
    "sms": "Text reminder: {x}", "other": "Follow-up on {x}",
}
ENGLISH_TOPICS = [
    "pricing", "the proposal", "contract terms", "payment schedule", "the rollout plan",
    "trial feedback", "renewal", "support issues",
]
OUTCOMES = [
    ("interested", 30), ("needs_followup", 35), ("no_answer", 12), ("not_interested", 10),
    ("deal_closed", 3),
]
REACTIONS = {
    "interested": "客户反馈积极，希望尽快推进。",
    "needs_followup": "客户需内部讨论，约定稍后再沟通。", "no_answer": "未联系上，已留言。",
    "not_interested": "客户表示暂无计划。", "deal_closed": "客户确认合作，准备签约。",
}
ENGLISH_REACTIONS = {
    "interested": "The customer was positive and wants to move on quickly.",
    "needs_followup": "They need an internal discussion; we will talk again soon.",
    "no_answer": "Could not reach them; left a message.", "not_interested": "No plans for now.",
    "deal_closed": "They confirmed the deal and are preparing the contract.",
}
NEXT_STEPS = [
    "下周提供正式报价", "安排技术交流会", "发送合同草稿", "约见决策人", "跟进试用情况",
    "准备演示环境", "确认付款计划", "Send the revised quote",
]

# fmt: on
