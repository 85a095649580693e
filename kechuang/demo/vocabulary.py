"""Word lists and catalogues the demo generator draws from.

Regions, chains and the federation follow the source articles (Ruian's four pillar industries, the
Jiading–Suzhou–Wenzhou resource-sharing federation, Binhai's and Wenzhou's chains). Organisation names are
composed from the lists below and are fictional.
"""

from decimal import Decimal

# (code, name, level, parent code, is pilot)
REGIONS: list[tuple[str, str, str, str | None, bool]] = [
    ("110000", "北京市", "province", None, False),
    ("310000", "上海市", "province", None, False),
    ("320000", "江苏省", "province", None, False),
    ("330000", "浙江省", "province", None, False),
    ("310114", "嘉定区", "district", "310000", True),
    ("320500", "苏州市", "city", "320000", True),
    ("320571", "苏州工业园区", "district", "320500", False),
    ("320583", "昆山市", "district", "320500", False),
    ("330300", "温州市", "city", "330000", True),
    ("330302", "鹿城区", "district", "330300", False),
    ("330303", "龙湾区", "district", "330300", False),
    ("330381", "瑞安市", "district", "330300", True),
    ("330382", "乐清市", "district", "330300", False),
]

FEDERATION_NAME = "长三角科技资源共享服务平台"
FEDERATION_DESCRIPTION = (
    "嘉定区、苏州市、温州市依据《长三角科技创新资源共享共用合作机制》共建的科技资源共享服务平台："
    "三地首批共享高校院所、检验检测机构、企业工程技术中心130家，大型仪器设备1705台，"
    "双创服务项目309条，创新券（双创券）通用通兑。"
)
FEDERATION_MEMBERS = ["310114", "320500", "330300"]

# Where each member's shared institutions sit (the member region and the districts below it).
FEDERATION_SITES = {
    "310114": ["310114"],
    "320500": ["320500", "320500", "320571", "320583"],
    "330300": ["330300", "330302", "330303", "330381", "330381", "330382"],
}
CITY_SHORT = {"310114": "嘉定", "320500": "苏州", "330300": "温州"}
REGION_SHORT = {
    "310114": "上海嘉定",
    "320500": "苏州",
    "320571": "苏州工业园区",
    "320583": "昆山",
    "330300": "温州",
    "330302": "温州鹿城",
    "330303": "温州龙湾",
    "330381": "瑞安",
    "330382": "乐清",
}
STREETS = {
    "110000": ["海淀区学院路", "朝阳区北辰东路", "西城区三里河路"],
    "310114": [
        "安亭镇墨玉南路",
        "嘉定新城裕民南路",
        "南翔镇蕰北公路",
        "马陆镇宝安公路",
        "江桥镇华江路",
    ],
    "320500": ["姑苏区干将西路", "吴中区东吴北路", "相城区人民路", "高新区狮山路"],
    "320571": ["星湖街", "仁爱路", "若水路", "独墅湖大道"],
    "320583": ["前进东路", "祖冲之南路", "黄浦江南路"],
    "330300": ["瓯海区东方南路", "经开区滨海大道", "瓯江口新区灵昆大道"],
    "330302": ["车站大道", "学院中路", "双屿街道鹿城路"],
    "330303": ["永中街道永宁西路", "蒲州街道龙腾南路", "状元街道温州大道"],
    "330381": [
        "塘下镇罗凤大道",
        "经济开发区东经路",
        "飞云街道新瑞大道",
        "上望街道东新科创园",
        "汀田街道莘塍大道",
    ],
    "330382": ["柳市镇柳青路", "北白象镇磐石路", "乐成街道旭阳路"],
}

# slug, name, description, keywords, regions, related CSL disciplines
CHAINS: list[tuple[str, str, str, list[str], list[str], list[str]]] = [
    (
        "auto-parts",
        "汽车零部件",
        "瑞安“中国汽摩配之都”主导产业，重点发展智能汽车关键零部件、新能源汽车电控与制动系统。",
        [
            "汽车零部件",
            "汽摩配",
            "制动系统",
            "电控气源",
            "转向系统",
            "汽车电子",
            "新能源汽车",
            "离合器",
            "空气悬架",
            "传感器",
        ],
        ["330381", "330300", "310114"],
        ["机械工程", "交通运输工程", "动力工程及工程热物理", "控制科学与工程", "电气工程"],
    ),
    (
        "mechatronics",
        "机械电子",
        "瑞安四大主导产业之一：智能装备、包装印刷机械、电机电器与工业自动化。",
        [
            "智能装备",
            "伺服电机",
            "数控机床",
            "工业机器人",
            "包装机械",
            "印刷机械",
            "自动化控制",
            "电器",
        ],
        ["330381", "330382", "320500"],
        ["机械工程", "控制科学与工程", "电子科学与技术", "电气工程", "计算机科学与技术"],
    ),
    (
        "polymer",
        "高分子材料",
        "瑞安高分子合成材料产业：合成革、改性塑料、聚氨酯与功能薄膜。",
        ["高分子材料", "合成革", "改性塑料", "聚氨酯", "功能薄膜", "橡胶", "胶粘剂", "复合材料"],
        ["330381", "330303"],
        ["材料科学与工程", "化学/化学工程与技术", "纺织科学与工程"],
    ),
    (
        "fashion",
        "时尚轻工",
        "瑞安时尚轻工产业：鞋服、眼镜、箱包皮件与日用轻工产品的设计与智能制造。",
        ["鞋服", "制鞋", "服装", "眼镜", "箱包", "皮革", "工业设计", "智能制造"],
        ["330381", "330302"],
        ["纺织科学与工程", "材料科学与工程", "艺术学", "工商管理"],
    ),
    (
        "xinchuang",
        "信创",
        "信息技术应用创新产业：国产操作系统、数据库、芯片与信息安全。",
        ["信创", "操作系统", "数据库", "国产芯片", "信息安全", "中间件", "工业软件"],
        ["330300", "320571"],
        ["计算机科学与技术", "信息与通信工程", "电子科学与技术"],
    ),
    (
        "biomanufacturing",
        "生物制造",
        "以合成生物学、发酵与酶工程为核心的生物制造产业。",
        ["生物制造", "合成生物学", "发酵工程", "酶工程", "生物医药", "生物基材料"],
        ["320571", "330300"],
        ["生物学/生物科学与工程", "食品科学与工程", "药学", "化学/化学工程与技术"],
    ),
    (
        "advanced-computing",
        "先进计算",
        "高性能计算、智能算力与人工智能应用。",
        ["先进计算", "高性能计算", "算力", "人工智能", "云计算", "大数据"],
        ["320571", "310114"],
        ["计算机科学与技术", "数学", "信息与通信工程", "控制科学与工程"],
    ),
    (
        "smart-sensor",
        "智能传感器",
        "嘉定区重点产业：MEMS传感器、汽车电子与智能网联感知器件。",
        ["智能传感器", "MEMS", "压力传感器", "汽车电子", "毫米波雷达", "智能网联"],
        ["310114", "320571"],
        ["电子科学与技术", "控制科学与工程", "信息与通信工程"],
    ),
    (
        "hydrogen",
        "氢能",
        "嘉定区氢能与燃料电池汽车产业：电堆、空气供给、储氢与加氢装备。",
        ["氢能", "燃料电池", "电堆", "储氢", "加氢站", "氢燃料电池汽车"],
        ["310114", "330300"],
        ["电气工程", "化学/化学工程与技术", "动力工程及工程热物理"],
    ),
    (
        "integrated-circuit",
        "集成电路",
        "苏州工业园区集成电路产业：芯片设计、功率器件与先进封装测试。",
        ["集成电路", "芯片设计", "功率器件", "封装测试", "半导体", "车规芯片"],
        ["320571", "320500"],
        ["电子科学与技术", "计算机科学与技术"],
    ),
    (
        "nano",
        "纳米技术",
        "苏州纳米技术应用产业：纳米新材料、微纳制造与纳米大健康。",
        ["纳米技术", "纳米材料", "石墨烯", "微纳制造", "功能涂层"],
        ["320571"],
        ["材料科学与工程", "化学/化学工程与技术"],
    ),
    (
        "electrical",
        "电气",
        "温州（乐清）电气产业：低压电器、智能配电与新能源电气成套设备。",
        ["电气", "低压电器", "断路器", "智能配电", "电能表", "成套设备"],
        ["330382", "330300"],
        ["电气工程", "控制科学与工程"],
    ),
    (
        "pump-valve",
        "泵阀",
        "温州（龙湾、永嘉）泵阀产业：工业阀门、流程泵与流体控制装备。",
        ["泵阀", "阀门", "离心泵", "调节阀", "流体机械", "密封"],
        ["330303", "330300"],
        ["动力工程及工程热物理", "机械工程"],
    ),
    (
        "life-health",
        "生命健康",
        "温州“5+5”产业之一：医疗器械、生物医药与健康服务。",
        ["生命健康", "医疗器械", "生物医药", "体外诊断", "中医药", "康复器械"],
        ["330300", "330302", "320571"],
        ["基础医学/临床医学", "药学", "中医学/中药学", "公共卫生与预防医学"],
    ),
    (
        "financial-leasing",
        "融资租赁",
        "设备融资租赁与科技金融服务，支撑装备更新和企业技改。",
        ["融资租赁", "设备租赁", "科技金融", "供应链金融"],
        ["330300"],
        ["应用经济学", "工商管理"],
    ),
]

# The chains enterprises are generated in, with their share and where they are (region codes, weighted).
ENTERPRISE_CHAINS: list[tuple[str, int, list[str]]] = [
    ("auto-parts", 30, ["330381"] * 6 + ["330303", "310114", "320583"]),
    ("mechatronics", 20, ["330381"] * 4 + ["330382", "330382", "320500"]),
    ("polymer", 15, ["330381"] * 5 + ["330303"]),
    ("fashion", 15, ["330381"] * 4 + ["330302", "330302"]),
    ("xinchuang", 3, ["330300", "320571"]),
    ("biomanufacturing", 3, ["320571", "330300"]),
    ("advanced-computing", 2, ["320571", "310114"]),
    ("life-health", 2, ["330302", "330300", "320571"]),
    ("financial-leasing", 1, ["330300"]),
    ("smart-sensor", 2, ["310114", "320571"]),
    ("hydrogen", 2, ["310114"]),
    ("integrated-circuit", 2, ["320571", "320500"]),
    ("nano", 1, ["320571"]),
    ("electrical", 1, ["330382"]),
    ("pump-valve", 1, ["330303"]),
]

TRADE_NAME_FIRST = "华宏立恒鑫海天博中永金安佳隆汇润嘉众腾启明远创凯德锐越东协森泓"
TRADE_NAME_SECOND = "盛达新丰源诚合孚信驰泰利兴通昌宇晟祥峰辉航力钧展鸿邦茂捷"

# The product lines of each chain: the industry word in a firm's name, what it makes, and the specialties
# (kechuang.demo.specialties) its engineers and partners work in. A firm makes two or three products of
# one line, so its name, products, fields and demands agree.
ENTERPRISE_LINES: dict[str, list[tuple[str, list[str], list[str]]]] = {
    "auto-parts": [
        (
            "制动系统",
            ["气压制动阀", "电控空气处理单元", "弹簧制动气室", "电子驻车制动器", "继动阀"],
            ["brake", "rubber-seal", "auto-electronics"],
        ),
        (
            "汽车零部件",
            ["新能源汽车电动空压机", "集成式电控气源装置", "空气干燥器", "离合器助力器"],
            ["compressor-nvh", "pmsm", "brake"],
        ),
        (
            "汽车电子",
            ["汽车电子控制单元", "汽车压力传感器", "高压线束连接器", "电池管理系统"],
            ["auto-electronics", "bms", "mems"],
        ),
        ("精密锻造", ["汽车转向节", "制动盘", "电驱动壳体", "转向器壳体"], ["forming"]),
        (
            "汽车部件",
            ["汽车门板骨架", "仪表板支架", "汽车内饰件", "雷达天线罩"],
            ["injection", "modified-plastics"],
        ),
        ("电驱科技", ["驱动电机控制器", "永磁同步驱动电机", "电动转向电机"], ["pmsm", "bms"]),
    ],
    "mechatronics": [
        ("机电", ["伺服电机", "伺服驱动器", "磁编码器"], ["servo", "pmsm"]),
        ("包装机械", ["枕式包装机", "全自动制袋机", "凹版印刷机"], ["packaging", "servo"]),
        (
            "智能装备",
            ["数控折弯机", "激光切割设备", "工业机器人夹具", "RV减速器"],
            ["servo", "robot"],
        ),
        ("电气", ["小型断路器", "智能电能表", "变频控制柜"], ["lv-electrical", "vision"]),
        (
            "自动化设备",
            ["自动化装配线", "视觉检测设备", "下线检测设备"],
            ["vision", "auto-electronics"],
        ),
    ],
    "polymer": [
        ("合成革", ["超纤合成革", "PVC合成革", "汽车座椅革"], ["polyurethane", "voc"]),
        (
            "塑胶新材料",
            ["改性聚丙烯", "阻燃聚碳酸酯合金", "热塑性弹性体"],
            ["modified-plastics", "injection"],
        ),
        ("化工", ["水性聚氨酯树脂", "环保胶粘剂", "聚氨酯鞋底原液"], ["polyurethane"]),
        ("塑业", ["注塑件", "家电塑料外壳", "注塑模具"], ["injection"]),
        (
            "新材料",
            ["TPU薄膜", "功能性薄膜", "石墨烯导热膜"],
            ["nanomaterials", "modified-plastics"],
        ),
    ],
    "fashion": [
        ("鞋业", ["休闲皮鞋", "运动鞋", "安全鞋"], ["footwear", "tanning"]),
        ("鞋材", ["运动鞋底", "EVA中底", "橡胶大底"], ["footwear"]),
        ("皮革", ["牛皮鞋面革", "箱包革", "无铬鞣皮革"], ["tanning", "wastewater"]),
        ("服饰", ["功能性面料服装", "针织服装", "飞织鞋面"], ["textile", "vision"]),
        ("眼镜", ["光学眼镜架", "钛合金眼镜架", "太阳镜"], ["eyewear"]),
        ("箱包", ["智能箱包", "拉杆箱", "真皮手袋"], ["textile", "tanning"]),
    ],
    "xinchuang": [
        ("信息技术", ["国产化办公系统", "政务云平台", "数据迁移工具"], ["xinchuang-software"]),
        ("软件", ["工业数据库中间件", "网络安全网关", "工控安全审计系统"], ["xinchuang-software"]),
    ],
    "biomanufacturing": [
        ("生物科技", ["工业酶制剂", "益生菌制剂", "生物基聚酯"], ["fermentation"]),
        ("食品", ["发酵鱼露", "预制菜", "植物提取物"], ["food-process", "food-pathogen"]),
    ],
    "advanced-computing": [
        ("智算科技", ["智能算力调度平台", "边缘计算服务器", "AI推理加速卡"], ["hpc-ai"]),
        ("数据科技", ["工业视觉算法", "工业大数据平台"], ["hpc-ai", "vision"]),
    ],
    "life-health": [
        ("生物医药", ["口服缓释制剂", "注射用冻干粉针", "中药配方颗粒"], ["pharma"]),
        ("医疗器械", ["体外诊断试剂", "化学发光分析仪", "一次性医用耗材"], ["ivd"]),
        ("检测科技", ["食品致病菌检测试剂盒", "核酸提取仪"], ["food-pathogen", "ivd"]),
    ],
    "financial-leasing": [
        ("融资租赁", ["设备融资租赁", "售后回租", "供应链金融服务"], []),
    ],
    "smart-sensor": [
        ("传感技术", ["MEMS压力传感器", "温湿度传感器", "车用压力传感器"], ["mems"]),
        ("智能感知", ["毫米波雷达", "激光雷达", "智能路侧感知设备"], ["radar", "auto-electronics"]),
    ],
    "hydrogen": [
        (
            "氢能科技",
            ["燃料电池电堆", "燃料电池空气压缩机", "氢气循环泵"],
            ["fuel-cell", "compressor-nvh"],
        ),
        ("氢能装备", ["高压储氢瓶阀", "加氢机", "燃料电池系统"], ["fuel-cell"]),
    ],
    "integrated-circuit": [
        ("微电子", ["电池管理模拟前端芯片", "电机驱动芯片", "MCU"], ["ic-design", "bms"]),
        ("半导体", ["碳化硅功率模块", "IGBT模块", "功率器件封装"], ["ic-design"]),
    ],
    "nano": [
        ("纳米科技", ["石墨烯导热膜", "碳纳米管导电浆料", "纳米涂层"], ["nanomaterials"]),
    ],
    "electrical": [
        ("电气", ["小型断路器", "塑壳断路器", "智能配电终端", "故障电弧断路器"], ["lv-electrical"]),
    ],
    "pump-valve": [
        ("阀门", ["调节阀", "球阀", "蝶阀", "安全阀"], ["pump-valve"]),
        ("泵业", ["离心泵", "化工流程泵", "磁力泵"], ["pump-valve"]),
    ],
}

TIER_PLANS: dict[str, list[str]] = {
    "tech_sme": [
        "建立研发费用辅助账，年研发投入占营业收入比重提高到3%以上",
        "申请发明专利2件、实用新型专利5件，规范知识产权管理",
        "与高校共建校企联合实验室，聘请1名产业链兼职工程师",
        "参加科技型中小企业评价入库培训，次年申报高新技术企业",
    ],
    "high_tech": [
        "建设市级企业研发中心，研发人员占比提高到10%以上",
        "围绕主导产品开展关键零部件攻关，参与“揭榜挂帅”任务",
        "申领创新券开展检验检测与中试，推进首台（套）产品认定",
        "引进博士或高级工程师2名，申报博士后工作站",
    ],
    "leader": [
        "建设省级企业研究院，组建院士专家工作站",
        "牵头组建创新联合体，带动产业链上下游企业协同攻关",
        "年研发投入超过营业收入5%，主导或参与制定行业标准",
        "开展数字化车间改造，打造智能制造示范工厂",
    ],
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢钟姜崔谭陆范汪金"
GIVEN_NAME_CHARS = "伟建国明华志强军平文杰斌涛磊鹏宇浩俊晓红丽娟敏静燕玲婷雪琳海波峰亮辉超勇刚毅飞云霞欣怡嘉颖晨阳光新春秋琪瑞"

# Titles by talent type and by whether the expert's affiliation is a university.
TITLES = {
    ("academician", True): ["中国工程院院士", "中国科学院院士"],
    ("academician", False): ["中国工程院院士"],
    ("high_level", True): ["教授、博士生导师", "特聘教授"],
    ("high_level", False): ["研究员、博士生导师", "正高级工程师"],
    ("engineer", True): ["副教授", "高级工程师"],
    ("engineer", False): ["高级工程师", "正高级工程师"],
    ("scholar", True): ["教授", "副教授", "讲师"],
    ("scholar", False): ["研究员", "副研究员", "高级工程师"],
}

# Universities of each federation member: name, the directions (kechuang.demo.specialties) of their
# engineering schools, and whether they are comprehensive (hosting scholars of every discipline).
UNIVERSITIES: dict[str, list[tuple[str, tuple[str, ...], bool]]] = {
    "310114": [
        ("上海嘉定理工学院", ("ev", "sensor", "computing"), True),
        ("上海汽车工程学院", ("ev", "chassis", "hydrogen"), False),
        ("上海嘉定职业技术学院", ("equipment", "chassis"), False),
        ("上海安亭应用技术大学", ("ev", "sensor", "equipment"), False),
        ("上海智能制造职业技术学院", ("equipment", "computing"), False),
        ("上海远东工程学院", ("polymer", "environment", "xinchuang"), True),
    ],
    "320500": [
        ("姑苏科技大学", ("nano", "ic", "computing", "environment"), True),
        ("苏州工学院", ("equipment", "sensor", "polymer"), False),
        ("园区国际工程学院", ("ic", "xinchuang", "computing"), False),
        ("昆山工业职业技术学院", ("equipment", "chassis"), False),
        ("苏州健康医学院", ("biopharma", "food", "biomfg"), False),
        ("昆山应用技术学院", ("electrical", "equipment"), False),
    ],
    "330300": [
        ("瓯江大学", ("electrical", "environment", "polymer", "biopharma"), True),
        ("温州工程学院", ("ev", "chassis", "electrical"), False),
        ("瑞安职业技术学院", ("chassis", "equipment", "fashion"), False),
        ("温州健康医学院", ("biopharma", "food"), False),
        ("瓯海师范学院", ("xinchuang", "food"), True),
        ("温州轻工学院", ("fashion", "polymer", "environment"), False),
    ],
}
# The directions of each member's other institutions, in the proportions they are founded in.
MEMBER_DIRECTIONS: dict[str, list[str]] = {
    "310114": ["ev", "chassis", "sensor", "hydrogen", "equipment", "computing", "ev", "sensor"],
    "320500": ["biopharma", "nano", "ic", "biomfg", "computing", "equipment", "xinchuang", "food"],
    "330300": [
        "chassis",
        "ev",
        "electrical",
        "polymer",
        "fashion",
        "environment",
        "equipment",
        "food",
        "chassis",
        "fashion",
    ],
}

# National societies (学会) that send expert service teams.
SOCIETIES = [
    (
        "中国机械工程学会",
        "组织机械工程领域专家开展“科创中国”科技服务团入企服务、学术交流与成果评价。",
    ),
    (
        "中国汽车工程学会",
        "汇聚汽车工程领域专家，面向汽车零部件产业集群开展技术诊断、标准与人才服务。",
    ),
]

# Instrument catalogue: name, category, [(model, manufacturer)], original value range in 10k yuan, billing
# unit, external rate range (yuan per unit), specification and samples, and the directions
# (kechuang.demo.specialties) of the institutions that own one. An institution holds each model once.
INSTRUMENTS: list[
    tuple[
        str, str, list[tuple[str, str]], tuple[int, int], str, tuple[int, int], str, tuple[str, ...]
    ]
] = [
    (
        "场发射扫描电子显微镜",
        "analytical",
        [("SU8010", "日立"), ("Sigma 300", "蔡司"), ("Apreo 2", "赛默飞")],
        (180, 450),
        "hour",
        (300, 800),
        "二次电子分辨率1.0 nm（15 kV），放大倍数20~1,000,000倍，配能谱仪；样品：金属、陶瓷、高分子与粉体，"
        "最大样品尺寸直径100 mm。用于表面形貌观察、断口分析与微区成分分析。",
        ("chassis", "polymer", "nano", "ic", "fashion", "hydrogen"),
    ),
    (
        "透射电子显微镜",
        "analytical",
        [("JEM-2100F", "日本电子"), ("Talos F200X", "赛默飞")],
        (600, 1500),
        "hour",
        (800, 2000),
        "加速电压200 kV，点分辨率0.19 nm；样品：纳米粉体、薄膜与FIB制备的截面样品。用于高分辨成像、"
        "选区电子衍射与元素面分布分析。",
        ("nano", "ic"),
    ),
    (
        "X射线衍射仪",
        "analytical",
        [("D8 ADVANCE", "布鲁克"), ("SmartLab", "理学"), ("Empyrean", "马尔文帕纳科")],
        (80, 260),
        "sample",
        (150, 400),
        "Cu靶，2θ范围-110°~168°，测角精度±0.0001°；样品：粉末、块体与薄膜。用于物相定性定量、晶粒尺寸与"
        "残余应力测定。",
        ("nano", "chassis", "hydrogen", "ev", "polymer"),
    ),
    (
        "气相色谱-质谱联用仪",
        "analytical",
        [("7890B-5977B", "安捷伦"), ("GCMS-QP2020 NX", "岛津"), ("TSQ 9000", "赛默飞")],
        (60, 180),
        "sample",
        (300, 800),
        "质量范围1.5~1090 u，配顶空与热脱附进样；样品：皮革、合成革、塑料、纺织品与水样。用于VOC、增塑剂、"
        "禁用偶氮染料与车内散发物检测。",
        ("polymer", "fashion", "environment", "food"),
    ),
    (
        "液相色谱-质谱联用仪",
        "analytical",
        [("LCMS-8060", "岛津"), ("6470", "安捷伦"), ("Xevo TQ-S", "沃特世")],
        (120, 320),
        "sample",
        (400, 1000),
        "三重四极杆质谱，质量范围2~2000 m/z；样品：药物制剂、生物样品、食品与水样。用于药物、农兽药残留与"
        "痕量污染物定量分析。",
        ("biopharma", "food", "environment", "biomfg"),
    ),
    (
        "电感耦合等离子体发射光谱仪",
        "analytical",
        [("5110 ICP-OES", "安捷伦"), ("iCAP PRO", "赛默飞")],
        (50, 120),
        "sample",
        (150, 400),
        "波长范围167~785 nm，可同时测定70余种元素，检出限μg/L级；样品：金属材料、电镀液、皮革浸出液与"
        "环境水样（需消解）。",
        ("environment", "chassis", "fashion", "electrical"),
    ),
    (
        "电感耦合等离子体质谱仪",
        "analytical",
        [("7900", "安捷伦"), ("iCAP RQ", "赛默飞")],
        (150, 300),
        "sample",
        (300, 800),
        "质量范围2~260 amu，检出限ng/L级；样品：饮用水、废水、食品消解液与高纯化学品。用于重金属与"
        "痕量杂质元素分析。",
        ("environment", "food", "ic"),
    ),
    (
        "原子吸收分光光度计",
        "analytical",
        [("AA-7000", "岛津"), ("PinAAcle 900T", "珀金埃尔默")],
        (30, 80),
        "sample",
        (80, 200),
        "火焰与石墨炉双原子化器，波长范围185~900 nm；样品：皮革、纺织品浸出液、废水与食品消解液。"
        "用于铬、铅、镉、镍等金属元素测定。",
        ("fashion", "environment", "food"),
    ),
    (
        "紫外可见分光光度计",
        "analytical",
        [("UV-2600i", "岛津"), ("Cary 3500", "安捷伦")],
        (10, 40),
        "sample",
        (50, 150),
        "波长范围185~900 nm，光度准确度±0.002 Abs；样品：溶液与薄膜。用于皮革六价铬（二苯碳酰二肼法）、"
        "水质指标与药物含量测定。",
        ("fashion", "environment", "biopharma", "food"),
    ),
    (
        "总有机碳分析仪",
        "analytical",
        [("TOC-L CPH", "岛津"), ("multi N/C 3100", "耶拿")],
        (30, 70),
        "sample",
        (100, 250),
        "测量范围0~30,000 mg/L，检出限4 μg/L；样品：地表水、工业废水与纯水。用于废水处理工艺评价与"
        "出水达标检测。",
        ("environment",),
    ),
    (
        "离子色谱仪",
        "analytical",
        [("ICS-6000", "赛默飞"), ("930 Compact IC Flex", "瑞士万通")],
        (30, 90),
        "sample",
        (100, 300),
        "电导检测，阴阳离子同时分析，检出限μg/L级；样品：水样、食品与电子级化学品。用于氟、氯、硝酸根、"
        "硫酸根等离子测定。",
        ("environment", "food", "ic"),
    ),
    (
        "傅里叶变换红外光谱仪",
        "analytical",
        [("Nicolet iS50", "赛默飞"), ("INVENIO S", "布鲁克")],
        (30, 90),
        "sample",
        (80, 200),
        "光谱范围7800~350 cm⁻¹，分辨率优于0.09 cm⁻¹，配ATR附件；样品：高分子、胶粘剂、皮革涂层与未知物。"
        "用于结构鉴定与异物剖析。",
        ("polymer", "fashion", "nano"),
    ),
    (
        "激光共聚焦显微镜",
        "analytical",
        [("LSM 980", "蔡司"), ("FV3000", "奥林巴斯")],
        (200, 500),
        "hour",
        (300, 600),
        "405/488/561/640 nm四激光，三维形貌与荧光成像；样品：细胞、组织切片与材料表面。用于细胞生物学研究"
        "和表面粗糙度测量。",
        ("biopharma", "nano"),
    ),
    (
        "核磁共振波谱仪",
        "analytical",
        [("AVANCE NEO 400", "布鲁克"), ("JNM-ECZ500R", "日本电子")],
        (300, 800),
        "sample",
        (200, 600),
        "400~500 MHz液体核磁，1H/13C/19F/31P检测；样品：有机化合物、聚合物与天然产物（溶于氘代溶剂）。"
        "用于结构鉴定与纯度分析。",
        ("biopharma", "polymer", "biomfg"),
    ),
    (
        "X射线光电子能谱仪",
        "analytical",
        [("ESCALAB Xi+", "赛默飞"), ("AXIS SUPRA+", "岛津")],
        (400, 900),
        "sample",
        (500, 1200),
        "单色化Al Kα源，分析深度约10 nm，可氩离子深度剖析；样品：薄膜、涂层与催化剂粉末。用于表面元素"
        "组成与化学态分析。",
        ("nano", "ic", "hydrogen"),
    ),
    (
        "差示扫描量热仪",
        "physical",
        [("DSC 214", "耐驰"), ("DSC 2500", "TA仪器")],
        (20, 60),
        "sample",
        (100, 300),
        "温度范围-170~600 ℃，灵敏度0.1 μW；样品：塑料、橡胶、胶粘剂与皮革（5~20 mg）。测定玻璃化转变温度、"
        "熔点、结晶度、固化度与皮革收缩温度。",
        ("polymer", "fashion", "chassis"),
    ),
    (
        "热重分析仪",
        "physical",
        [("TG 209 F1", "耐驰"), ("TGA 5500", "TA仪器")],
        (20, 60),
        "sample",
        (100, 300),
        "室温~1000 ℃，天平分辨率0.1 μg；样品：高分子、复合材料与纳米粉体。测定热稳定性、填料含量与"
        "分解温度。",
        ("polymer", "nano"),
    ),
    (
        "毛细管流变仪",
        "physical",
        [("RH10", "马尔文帕纳科"), ("Rheograph 25", "歌德伯")],
        (60, 150),
        "sample",
        (200, 500),
        "剪切速率10~10⁶ s⁻¹，温度至400 ℃；样品：热塑性塑料粒料。测定熔体粘度曲线，为注塑模流分析提供"
        "材料数据。",
        ("polymer",),
    ),
    (
        "熔体流动速率仪",
        "physical",
        [("Mflow", "兹韦克"), ("MI-4", "歌德伯")],
        (5, 20),
        "sample",
        (50, 120),
        "依据GB/T 3682、ISO 1133，温度至450 ℃，质量法与体积法；样品：PP、PE、PC等塑料粒料。",
        ("polymer",),
    ),
    (
        "万能材料试验机",
        "physical",
        [("5982", "英斯特朗"), ("Z100", "兹韦克"), ("CMT5105", "美特斯")],
        (30, 150),
        "sample",
        (80, 300),
        "最大试验力100 kN，力值精度±0.5%，配引伸计与-70~350 ℃环境箱；样品：金属、塑料、橡胶、皮革与纺织品。"
        "开展拉伸、压缩、弯曲与剥离试验。",
        ("chassis", "polymer", "fashion", "equipment"),
    ),
    (
        "疲劳试验机",
        "physical",
        [("8801", "英斯特朗"), ("Landmark 370", "MTS")],
        (150, 400),
        "hour",
        (300, 800),
        "电液伺服，动态载荷±100 kN，频率0.01~100 Hz；样品：汽车零部件、金属与复合材料试样。用于高周、"
        "低周疲劳与耐久试验。",
        ("chassis", "equipment"),
    ),
    (
        "盐雾腐蚀试验箱",
        "special",
        [("SF850", "Ascott"), ("CCT1100", "Q-Lab")],
        (10, 40),
        "hour",
        (20, 60),
        "依据GB/T 10125、ISO 9227，工作室容积850 L；样品：镀层件、汽车零部件、电器外壳与眼镜架。开展中性、"
        "醋酸盐雾与循环腐蚀试验。",
        ("chassis", "electrical", "sensor", "fashion"),
    ),
    (
        "高低温交变湿热试验箱",
        "special",
        [("SH-662", "爱斯佩克"), ("VC3 7060", "伟思富奇")],
        (15, 60),
        "hour",
        (30, 80),
        "温度-70~180 ℃，湿度20%~98%RH，升降温速率5 ℃/min；样品：电子电器、传感器与电池模组。用于环境"
        "可靠性试验。",
        ("sensor", "electrical", "ev", "ic"),
    ),
    (
        "电磁兼容测试系统",
        "electronic",
        [("ESR26", "罗德与施瓦茨"), ("N9038B", "是德科技")],
        (300, 900),
        "hour",
        (600, 1500),
        "3 m法电波暗室，9 kHz~26.5 GHz EMI接收机；样品：汽车电子、电机控制器与低压电器。开展辐射发射、"
        "传导发射与抗扰度测试。",
        ("sensor", "electrical", "ev"),
    ),
    (
        "矢量网络分析仪",
        "electronic",
        [("ZNB20", "罗德与施瓦茨"), ("E5080B", "是德科技")],
        (60, 200),
        "hour",
        (200, 500),
        "频率范围9 kHz~20 GHz，动态范围140 dB；样品：天线、滤波器、射频器件与天线罩。用于S参数与介电"
        "性能测试。",
        ("sensor", "ic"),
    ),
    (
        "功率分析仪",
        "electronic",
        [("WT5000", "横河"), ("PA8000", "麦科信")],
        (20, 80),
        "hour",
        (100, 300),
        "功率基本精度±0.03%，7通道，带宽10 MHz；样品：电机驱动器、变频器与电源。用于效率、谐波与功率因数"
        "分析。",
        ("ev", "electrical", "equipment"),
    ),
    (
        "电机测功机系统",
        "special",
        [("CWF-250", "湘仪动力"), ("e-Motor Testbed", "AVL")],
        (150, 600),
        "hour",
        (600, 1500),
        "额定功率250 kW，最高转速15,000 r/min，转矩测量精度±0.1%FS；样品：永磁同步电机、异步电机与电驱"
        "总成。用于效率MAP、转矩脉动、温升与耐久试验。",
        ("ev", "equipment", "electrical"),
    ),
    (
        "电池充放电测试系统",
        "electronic",
        [("CT-4008T-5V100A", "新威"), ("BT2000", "Arbin")],
        (20, 100),
        "hour",
        (100, 300),
        "单通道5 V/100 A，电流精度±0.05%FS，记录间隔10 ms；样品：锂离子电芯与模组。开展容量、倍率、HPPC、"
        "工况循环与SOC-OCV标定试验。",
        ("ev", "hydrogen"),
    ),
    (
        "电化学工作站",
        "electronic",
        [("VMP-300", "Bio-Logic"), ("Reference 3000", "Gamry"), ("CHI760E", "辰华")],
        (10, 60),
        "hour",
        (80, 200),
        "电位范围±10 V，阻抗频率10 μHz~7 MHz；样品：电池、燃料电池膜电极、腐蚀试样与电镀液。用于循环"
        "伏安、交流阻抗与腐蚀测试。",
        ("ev", "hydrogen", "nano", "fashion"),
    ),
    (
        "燃料电池测试台",
        "special",
        [("G60", "Greenlight"), ("FCT-150", "国产定制")],
        (100, 400),
        "hour",
        (500, 1200),
        "功率0~150 kW，氢气流量0~2000 NLPM，温湿度闭环控制；样品：单电池、短堆与电堆。用于极化曲线、"
        "耐久与低温启动试验。",
        ("hydrogen",),
    ),
    (
        "NVH声学测试系统",
        "electronic",
        [
            ("Simcenter SCADAS Mobile", "西门子"),
            ("SQuadriga III", "HEAD acoustics"),
            ("LAN-XI", "HBK"),
        ],
        (60, 200),
        "hour",
        (300, 800),
        "24通道，频率范围0~20 kHz，配传声器阵列与三向加速度计；样品：电动空压机、电机、泵阀与整车部件。"
        "用于噪声源识别、阶次分析与模态试验。",
        ("ev", "chassis", "equipment", "electrical"),
    ),
    (
        "空压机性能试验台",
        "special",
        [("KYT-30", "国产定制")],
        (60, 200),
        "hour",
        (300, 800),
        "排气量0.1~30 m³/min，排气压力至1.6 MPa，依据GB/T 3853；样品：车用电动空压机与工业空压机。测定"
        "容积流量、比功率与排气温度。",
        ("ev", "chassis"),
    ),
    (
        "泵性能试验台",
        "special",
        [("BSY-500", "国产定制")],
        (80, 300),
        "hour",
        (400, 1000),
        "流量0~500 m³/h，扬程0~150 m，依据GB/T 3216 1级精度；样品：离心泵、流程泵与磁力泵。测定性能曲线、"
        "效率与汽蚀余量。",
        ("electrical",),
    ),
    (
        "阀门综合性能试验台",
        "special",
        [("FMS-300", "国产定制")],
        (40, 150),
        "sample",
        (300, 900),
        "通径DN15~DN300，试验压力至42 MPa，依据GB/T 13927；样品：闸阀、球阀、调节阀。开展壳体强度、"
        "密封与流量特性试验。",
        ("electrical", "chassis"),
    ),
    (
        "三坐标测量机",
        "metrology",
        [("CONTURA G2", "蔡司"), ("Global S", "海克斯康"), ("CRYSTA-Apex V", "三丰")],
        (80, 300),
        "hour",
        (200, 500),
        "行程1000×700×600 mm，测量精度1.6+L/333 μm；样品：汽车零部件、模具与阀体。用于尺寸与形位公差检测。",
        ("chassis", "equipment", "electrical"),
    ),
    (
        "工业CT检测系统",
        "metrology",
        [("Phoenix v|tome|x m", "贝克休斯"), ("METROTOM 800", "蔡司")],
        (400, 1200),
        "sample",
        (800, 2500),
        "最大管电压300 kV，体素尺寸最小2 μm；样品：铝合金压铸件、注塑件与电子组件。无损检测内部气孔、"
        "裂纹与装配结构。",
        ("chassis", "polymer", "ic"),
    ),
    (
        "激光跟踪仪",
        "metrology",
        [("AT960", "徕卡"), ("Radian Pro", "API")],
        (100, 250),
        "hour",
        (300, 700),
        "测量半径80 m，空间精度±15 μm+6 μm/m；样品：工装、机器人与大型结构件。用于精度检测与标定。",
        ("equipment",),
    ),
    (
        "表面轮廓仪",
        "metrology",
        [("Form Talysurf PGI", "泰勒霍普森"), ("SV-C4500", "三丰")],
        (40, 120),
        "sample",
        (100, 300),
        "垂直分辨率0.8 nm，测量长度200 mm；样品：密封面、轴类零件、镀层与镜架。测量粗糙度与轮廓形状。",
        ("chassis", "equipment", "fashion"),
    ),
    (
        "直读光谱仪",
        "analytical",
        [("SPECTROMAXx", "斯派克"), ("ARL iSpark", "赛默飞")],
        (40, 100),
        "sample",
        (80, 200),
        "Fe、Al、Cu、Ti多基体，分析时间小于30秒；样品：铸件、钢材、铝合金与钛合金块样。用于化学成分"
        "快速分析与牌号鉴定。",
        ("chassis", "electrical", "fashion"),
    ),
    (
        "流式细胞仪",
        "medical",
        [("CytoFLEX", "贝克曼库尔特"), ("FACSCelesta", "BD")],
        (80, 250),
        "sample",
        (150, 400),
        "3激光13色，检测速度3万个细胞/秒；样品：血液、细胞悬液。用于细胞表型、凋亡与药物筛选分析。",
        ("biopharma",),
    ),
    (
        "实时荧光定量PCR仪",
        "medical",
        [("QuantStudio 5", "赛默飞"), ("CFX96", "伯乐"), ("LightCycler 480 II", "罗氏")],
        (20, 60),
        "sample",
        (80, 200),
        "96孔，5色荧光通道，温控精度±0.1 ℃；样品：食品、水产品与临床样本提取的核酸。用于沙门氏菌、"
        "单增李斯特菌等致病菌检测与基因表达定量。",
        ("food", "biopharma", "biomfg"),
    ),
    (
        "数字PCR仪",
        "medical",
        [("QIAcuity One", "凯杰"), ("QX200", "伯乐")],
        (60, 150),
        "sample",
        (300, 600),
        "2万~2.6万个分区，绝对定量无需标准曲线；样品：食品、环境与临床核酸样本。用于致病菌与转基因成分"
        "绝对定量。",
        ("food", "biopharma"),
    ),
    (
        "全自动微生物鉴定及药敏分析系统",
        "medical",
        [("VITEK 2 Compact", "生物梅里埃"), ("Phoenix M50", "BD")],
        (60, 150),
        "sample",
        (100, 300),
        "可鉴定400余种细菌与酵母，鉴定时间2~18小时；样品：纯培养菌株。用于食品与临床分离株鉴定。",
        ("food", "biopharma"),
    ),
    (
        "全自动生化分析仪",
        "medical",
        [("BS-2000M", "迈瑞"), ("AU5800", "贝克曼库尔特")],
        (100, 300),
        "sample",
        (50, 150),
        "测试速度2000测试/小时；样品：血清、血浆与尿液。用于临床生化与科研样本的高通量检测。",
        ("biopharma",),
    ),
    (
        "小动物活体成像系统",
        "medical",
        [("IVIS Spectrum", "珀金埃尔默")],
        (300, 600),
        "hour",
        (400, 900),
        "生物发光与荧光二维、三维成像；样品：小鼠、大鼠。用于肿瘤模型与药效研究。",
        ("biopharma",),
    ),
    (
        "生物发酵罐",
        "process",
        [("BIOSTAT B", "赛多利斯"), ("BLBIO-50SJ", "百伦生物")],
        (30, 150),
        "hour",
        (100, 300),
        "罐体5~50 L，pH、溶氧、温度、补料在线控制；样品：细菌、酵母与丝状真菌。用于发酵工艺开发与放大。",
        ("biomfg", "food"),
    ),
    (
        "纳米粒度及Zeta电位分析仪",
        "physical",
        [("Zetasizer Pro", "马尔文帕纳科"), ("NanoBrook 90Plus", "布鲁克海文")],
        (30, 80),
        "sample",
        (100, 250),
        "粒径范围0.3 nm~10 μm，Zeta电位测量；样品：纳米分散液、乳液与药物纳米粒。",
        ("nano", "biopharma", "polymer"),
    ),
    (
        "比表面积及孔径分析仪",
        "physical",
        [("ASAP 2460", "麦克默瑞提克"), ("Autosorb iQ", "安东帕")],
        (30, 90),
        "sample",
        (150, 400),
        "比表面积0.0005 m²/g起，孔径0.35~500 nm；样品：催化剂、吸附剂、活性炭与电极材料粉体。",
        ("nano", "hydrogen", "environment"),
    ),
    (
        "原子力显微镜",
        "analytical",
        [("Dimension Icon", "布鲁克"), ("MFP-3D Origin+", "牛津仪器")],
        (150, 400),
        "sample",
        (300, 700),
        "扫描范围90 μm，Z向噪声小于30 pm；样品：薄膜、晶圆与二维材料。用于表面形貌、粗糙度与纳米力学测量。",
        ("nano", "ic"),
    ),
    (
        "半导体参数分析仪",
        "electronic",
        [("B1500A", "是德科技"), ("4200A-SCS", "吉时利")],
        (60, 200),
        "hour",
        (300, 800),
        "电流分辨率0.1 fA，I-V、C-V与脉冲测试；样品：晶圆、分立器件与MEMS芯片（配探针台）。",
        ("ic", "sensor"),
    ),
    (
        "功率器件动态参数测试系统",
        "electronic",
        [("PD1500A", "是德科技")],
        (150, 400),
        "hour",
        (500, 1200),
        "电压至1200 V，电流至1000 A，双脉冲测试；样品：SiC MOSFET、IGBT模块。测定开关损耗与反向恢复特性。",
        ("ic", "ev"),
    ),
    (
        "压力传感器校准系统",
        "metrology",
        [("PACE 6000", "贝克休斯德鲁克"), ("CPC6050", "威卡")],
        (20, 60),
        "sample",
        (100, 300),
        "压力范围-100 kPa~21 MPa，精度±0.01%FS，温箱-40~150 ℃；样品：压力传感器与变送器。开展全温区"
        "标定与温漂测试。",
        ("sensor",),
    ),
    (
        "汽车制动器惯性试验台",
        "special",
        [("LINK 3900", "LINK"), ("ZL-3000", "国产定制")],
        (300, 900),
        "hour",
        (800, 2000),
        "惯量0~300 kg·m²，最高转速2500 r/min；样品：盘式、鼓式制动器与刹车片。模拟整车制动工况，测试效能、"
        "热衰退与磨损。",
        ("chassis",),
    ),
    (
        "气压制动阀类综合试验台",
        "special",
        [("QZF-16", "国产定制")],
        (50, 200),
        "sample",
        (400, 1200),
        "气源压力至1.6 MPa，-40~80 ℃环境舱，耐久计数至500万次；样品：继动阀、制动阀与电控气压调节阀。"
        "开展响应时间、泄漏量与密封耐久试验。",
        ("chassis",),
    ),
    (
        "电驱动总成试验台架",
        "special",
        [("AVL PUMA Open 2", "AVL"), ("HORIBA STARS", "堀场")],
        (500, 1500),
        "hour",
        (1000, 3000),
        "双电机对拖，功率400 kW，转速至20,000 r/min；样品：电驱动总成与减速器。开展性能、效率与耐久试验。",
        ("ev", "hydrogen"),
    ),
    (
        "振动试验系统",
        "special",
        [("V8-440", "LDS"), ("ES-50", "苏试试验")],
        (80, 300),
        "hour",
        (200, 600),
        "推力50 kN，频率2~2500 Hz，正弦、随机与冲击；样品：汽车电子、电池模组与零部件。用于可靠性验证。",
        ("ev", "chassis", "sensor", "electrical"),
    ),
    (
        "注塑成型试验机",
        "process",
        [("ALLROUNDER 470 A", "阿博格"), ("MA1600III", "海天"), ("SE180EV", "住友德马格")],
        (40, 150),
        "hour",
        (150, 400),
        "锁模力1000~1800 kN，注射量最大300 g；样品：PP、PC、PA等粒料。用于注塑工艺窗口试验、模具试模与"
        "标准样条制备。",
        ("polymer",),
    ),
    (
        "双螺杆挤出造粒机组",
        "process",
        [("ZSK 26", "科倍隆"), ("TSE-35", "南京瑞亚")],
        (50, 180),
        "hour",
        (200, 500),
        "螺杆直径26~35 mm，长径比40:1，产量5~50 kg/h；样品：改性塑料配方。用于阻燃、增韧与填充改性"
        "配方开发和小批量造粒。",
        ("polymer", "nano"),
    ),
    (
        "金属3D打印机",
        "process",
        [("EOS M 290", "EOS"), ("BLT-S310", "铂力特")],
        (300, 900),
        "hour",
        (500, 1500),
        "成形尺寸250×250×325 mm，层厚20~80 μm；材料：钛合金、铝合金与模具钢粉末。用于复杂零件与随形"
        "冷却模具镶件快速制造。",
        ("equipment", "chassis", "polymer"),
    ),
    (
        "五轴联动加工中心",
        "process",
        [("DMU 65 monoBLOCK", "德马吉森精机"), ("C 42", "哈默")],
        (200, 600),
        "hour",
        (300, 800),
        "行程735×650×560 mm，定位精度5 μm；样品：复杂曲面零件、叶轮与模具。用于高精度加工试制。",
        ("equipment", "electrical"),
    ),
    (
        "三维扫描仪",
        "metrology",
        [("ATOS Q", "蔡司"), ("HandySCAN 3D", "Creaform")],
        (30, 100),
        "sample",
        (150, 400),
        "单幅测量精度至0.02 mm；样品：模具、铸锻件、鞋楦与眼镜架。用于逆向建模与全尺寸比对。",
        ("equipment", "fashion", "chassis"),
    ),
    (
        "高性能计算集群",
        "computing",
        [("曙光 TC6600", "中科曙光"), ("NF5468M6", "浪潮")],
        (200, 800),
        "hour",
        (50, 200),
        "CPU/GPU异构，单节点8卡GPU，并行存储1 PB；用于结构与流体仿真、AI训练与大数据分析，按节点小时计费。",
        ("computing", "xinchuang"),
    ),
    (
        "国产化软硬件适配测试平台",
        "computing",
        [("TaiShan 200", "华为（鲲鹏920）"), ("擎天 DF720", "长城（飞腾S2500）")],
        (50, 200),
        "hour",
        (100, 300),
        "覆盖麒麟、统信UOS操作系统与达梦、人大金仓数据库；用于应用软件的兼容性、性能与迁移验证。",
        ("xinchuang",),
    ),
    (
        "网络安全测试仪",
        "electronic",
        [("BreakingPoint", "是德科技"), ("TestCenter", "思博伦")],
        (80, 250),
        "hour",
        (300, 800),
        "100 GE端口，应用与攻击流量仿真；样品：防火墙、安全网关与工控网络设备。用于性能与安全防护测试。",
        ("xinchuang", "computing"),
    ),
    (
        "鞋类耐折试验机",
        "physical",
        [("GT-7071-BS", "高铁检测"), ("STM 140", "SATRA")],
        (5, 20),
        "sample",
        (50, 150),
        "弯折角度0~90°，频率140次/分钟；样品：成鞋与鞋底。测试耐折、防滑与帮底剥离强度。",
        ("fashion",),
    ),
    (
        "皮革物理性能测试系统",
        "physical",
        [("GT-7012-T", "高铁检测"), ("STM 466", "SATRA")],
        (10, 40),
        "sample",
        (80, 200),
        "撕裂力、崩裂高度、耐折牢度与收缩温度（至100 ℃）测试；样品：鞋面革、箱包革与合成革。用于评价"
        "鞣制效果与成革质量。",
        ("fashion", "polymer"),
    ),
    (
        "眼镜架综合性能测试仪",
        "physical",
        [("YJ-300", "国产定制")],
        (10, 30),
        "sample",
        (60, 180),
        "依据GB/T 14214、ISO 12870；样品：金属与塑料眼镜架。检测尺寸、耐疲劳、抗汗腐蚀与镍释放。",
        ("fashion",),
    ),
]

# Instruments one testing body of a direction holds, in the catalogue's layout, added after the catalogue
# draw (kechuang.demo.generator.DemoBuilder.special_instruments) so that the draw and every record after
# it stay as they were: the shoe and rubber laboratories' abrasion tester (a sole's DIN abrasion is what a
# footwear demand states, and no catalogue instrument measured it).
SPECIAL_INSTRUMENTS: list[
    tuple[
        str, str, list[tuple[str, str]], tuple[int, int], str, tuple[int, int], str, tuple[str, ...]
    ]
] = [
    (
        "橡胶与鞋底耐磨试验机",
        "physical",
        [("GT-7012-D", "高铁检测")],
        (8, 20),
        "sample",
        (100, 300),
        "DIN辊筒式磨耗试验（GB/T 9867、ISO 4649：辊筒转速40 r/min，磨程40 m，附加力10 N），配阿克隆磨耗"
        "（GB/T 1689）与鞋类外底耐磨（GB/T 3903.2）夹具；样品：橡胶大底、EVA与橡塑发泡鞋底、输送带与"
        "胶辊。测定磨耗体积（mm³）与耐磨指数，评价鞋底与橡胶制品的耐磨性。",
        ("fashion",),
    ),
]

# Service items: title, category, description, price range in yuan (None = 面议), unit, provider kinds, and
# the directions (kechuang.demo.specialties) a provider must follow to offer it (empty: any direction).
# A description says what the item is, then its scope as a laboratory or a service provider lists it
# (检测项目 or 服务范围), written from general practice and the standards named, not from any demand.
SERVICES: list[tuple[str, str, str, tuple[int, int] | None, str, list[str], tuple[str, ...]]] = [
    (
        "汽车零部件盐雾与环境可靠性试验",
        "testing",
        "依据GB/T 10125、ISO 9227开展中性盐雾、交变湿热与温度冲击试验，出具CMA/CNAS报告。检测项目："
        "中性盐雾与铜加速乙酸盐雾、循环腐蚀、交变湿热、高低温存储与温度循环、温度冲击、IP防尘防水。",
        (800, 5000),
        "批",
        ["testing"],
        ("chassis", "sensor", "ev"),
    ),
    (
        "金属材料化学成分与力学性能检测",
        "testing",
        "直读光谱成分分析，拉伸、冲击、硬度测试，适用于铸锻件与紧固件。检测项目：碳、硫与主要元素含"
        "量及钢号判定、室温与高温拉伸、夏比冲击、布氏与洛氏硬度、金相组织与晶粒度、脱碳层与渗碳层深"
        "度。",
        (300, 1500),
        "样品",
        ["testing", "university"],
        ("chassis", "electrical"),
    ),
    (
        "高分子材料热分析与老化测试",
        "testing",
        "DSC、TGA、熔体流动速率与氙灯老化试验，支持改性塑料与合成革配方开发。检测项目：熔融与结晶温"
        "度、玻璃化转变、氧化诱导期、热失重与填料含量、热变形温度、氙灯与紫外老化后色差与力学保持率"
        "、热空气老化。",
        (500, 3000),
        "样品",
        ["testing", "institute"],
        ("polymer",),
    ),
    (
        "鞋服皮革有害物质检测",
        "testing",
        "六价铬、偶氮染料、甲醛、邻苯二甲酸酯与重金属检测，满足欧盟REACH等出口法规要求。检测项目："
        "六价铬、可分解致癌芳香胺、游离甲醛、邻苯二甲酸酯增塑剂、多环芳烃、富马酸二甲酯、可萃取重金"
        "属与镍释放。",
        (600, 2500),
        "样品",
        ["testing"],
        ("fashion",),
    ),
    (
        "皮革物理性能与收缩温度检测",
        "testing",
        "撕裂力、崩裂高度、耐折牢度与收缩温度检测，评价无铬鞣、少铬鞣工艺成革质量。检测项目：抗张强"
        "度与断裂伸长率、撕裂力、崩裂高度、耐折牢度、收缩温度、摩擦色牢度、透水汽性与涂层黏着牢度。",
        (300, 1200),
        "样品",
        ["testing", "university"],
        ("fashion",),
    ),
    (
        "电子电器电磁兼容（EMC）测试",
        "testing",
        "辐射发射、传导发射、静电放电与浪涌抗扰度测试及整改咨询。检测项目：辐射与传导骚扰、射频电磁"
        "场辐射抗扰度、电快速瞬变脉冲群、浪涌、静电放电、电压跌落。",
        (3000, 20000),
        "项",
        ["testing"],
        ("sensor", "electrical", "ev"),
    ),
    (
        "驱动电机与控制器性能测试",
        "testing",
        "依据GB/T 18488开展永磁同步电机及控制器效率MAP、转矩脉动、温升与EMC测试，出具检测报告。检测"
        "项目：外特性与峰值功率、效率MAP、堵转与转矩响应、转矩脉动与齿槽转矩、温升、反电势与绝缘耐"
        "压、噪声与振动。",
        (8000, 40000),
        "项",
        ["testing", "university", "new_rnd"],
        ("ev",),
    ),
    (
        "动力电池性能与SOC标定测试",
        "testing",
        "电芯与模组容量、倍率、HPPC内阻、工况循环与SOC-OCV标定测试，为BMS算法提供数据。检测项目：容"
        "量与能量、倍率充放电、HPPC直流内阻、高低温充放电、循环寿命与容量保持、自放电、SOC-OCV曲线"
        "标定。",
        (5000, 30000),
        "项",
        ["testing", "university", "new_rnd"],
        ("ev", "hydrogen"),
    ),
    (
        "空压机与气动部件噪声振动（NVH）测试",
        "testing",
        "声功率、声品质、阶次与模态测试，定位电动空压机、阀类部件噪声源并提出减振降噪建议。检测项目"
        "：半消声室声功率与声压级、声品质主观评价、阶次与频谱分析、结构模态与传递路径分析、悬置隔振"
        "率。",
        (6000, 30000),
        "项",
        ["testing", "university"],
        ("ev", "chassis"),
    ),
    (
        "气压制动阀类性能与耐久试验",
        "testing",
        "依据QC/T 35等标准开展响应时间、泄漏量、高低温密封与耐久试验。检测项目：输出特性与滞后、充"
        "放气响应时间、内外泄漏量、高低温与低气压密封、耐久循环、耐振动与耐腐蚀。",
        (3000, 20000),
        "项",
        ["testing"],
        ("chassis",),
    ),
    (
        "零部件三坐标尺寸与形位公差检测",
        "testing",
        "按图纸进行全尺寸检测、首件检验与测量程序编制。检测项目：尺寸与形位公差（平面度、圆度、同轴"
        "度、位置度）、轮廓度、螺纹与孔系、三维扫描与CAD比对。",
        (400, 2000),
        "件",
        ["testing", "eng_center"],
        ("chassis", "equipment"),
    ),
    (
        "工业CT无损检测与缺陷分析",
        "testing",
        "铝合金压铸件气孔、裂纹与装配结构的三维无损检测，出具缺陷统计报告。检测项目：气孔与缩松的位"
        "置、尺寸与体积占比，夹杂与裂纹，壁厚分析，装配间隙与内部结构，CT数据与CAD比对。",
        (1500, 6000),
        "件",
        ["testing", "new_rnd"],
        ("chassis", "polymer"),
    ),
    (
        "失效分析与质量问题诊断",
        "testing",
        "通过断口分析、金相与成分检测查找零部件失效原因并提出改进方案。服务范围：断口宏观与扫描电镜"
        "微观分析、金相与硬度梯度、成分与夹杂物、残余应力、受力与工况复核，判定疲劳、过载、腐蚀、氢"
        "脆与制造缺陷。",
        (5000, 30000),
        "项",
        ["testing", "university", "institute"],
        ("chassis", "equipment", "electrical"),
    ),
    (
        "低压电器性能与寿命试验",
        "testing",
        "断路器、接触器的温升、动作特性、电寿命与机械寿命试验。检测项目：温升、过载与短路脱扣特性、"
        "分断能力、介电性能、电寿命与机械寿命、触头电阻与接触压降。",
        (2000, 15000),
        "项",
        ["testing"],
        ("electrical",),
    ),
    (
        "泵阀性能与密封试验",
        "testing",
        "泵性能曲线与汽蚀余量测定，阀门壳体强度、密封与流量特性试验。检测项目：流量、扬程、效率与轴"
        "功率曲线，必需汽蚀余量，振动与噪声；阀门壳体强度、密封（气密与水密）、流量系数与流阻、启闭"
        "力矩与寿命。",
        (2000, 12000),
        "项",
        ["testing", "university"],
        ("electrical",),
    ),
    (
        "工业废水水质检测与处理方案",
        "testing",
        "COD、氨氮、总铬、重金属等指标检测，结合小试给出电镀、制革、印染废水处理与回用方案。检测项"
        "目：COD、BOD5、氨氮、总磷、总氮、悬浮物、色度、总铬与六价铬、镍、铜、锌等；服务范围：排放"
        "达标评估、处理工艺小试与现有设施诊断、中水回用方案。",
        (500, 5000),
        "批",
        ["testing", "university", "institute"],
        ("environment",),
    ),
    (
        "食源性致病菌qPCR快速检测",
        "testing",
        "采用实时荧光定量PCR检测沙门氏菌、单增李斯特菌、金黄色葡萄球菌与副溶血性弧菌，24小时内出报"
        "告。阳性样品可做培养确认与溯源分型，支持企业自控计划与原料验收。",
        (200, 800),
        "样品",
        ["testing", "university"],
        ("food",),
    ),
    (
        "食品理化与微生物常规检测",
        "testing",
        "依据GB 4789、GB 5009系列标准开展菌落总数、大肠菌群与理化指标检测。检测项目：菌落总数、大肠"
        "菌群、霉菌与酵母、水分、酸价、过氧化值、蛋白质、脂肪、食品添加剂与农兽药残留；服务范围：产"
        "品标准符合性检验、委托检验与出厂检验。",
        (150, 600),
        "样品",
        ["testing"],
        ("food",),
    ),
    (
        "药物一致性评价与质量研究",
        "rnd",
        "溶出曲线测定、有关物质与含量方法学验证，支持仿制药一致性评价申报。服务范围：多介质溶出曲线"
        "比对、有关物质与杂质谱分析、含量测定方法开发与验证、稳定性考察、参比制剂研究。",
        (50000, 300000),
        "项",
        ["university", "institute", "new_rnd"],
        ("biopharma",),
    ),
    (
        "芯片失效分析与可靠性测试",
        "testing",
        "I-V/C-V测试、功率器件动态参数与加速寿命试验，定位芯片与封装失效。服务范围：电性能复测与故"
        "障定位、X射线与超声扫描、开封与剖面、热点定位，高温反偏、高温高湿、温度循环与功率循环试验"
        "。",
        (5000, 50000),
        "项",
        ["testing", "new_rnd", "university"],
        ("ic",),
    ),
    (
        "信创软件兼容性适配测试",
        "testing",
        "在鲲鹏、飞腾平台与麒麟、统信操作系统上开展应用兼容、性能与数据库迁移验证，出具适配报告。服"
        "务范围：中间件与国产数据库（达梦、人大金仓）适配、性能压测与调优、迁移方案与割接演练。",
        (10000, 60000),
        "项",
        ["testing", "new_rnd", "university"],
        ("xinchuang",),
    ),
    (
        "新能源汽车电驱动系统联合研发",
        "rnd",
        "围绕永磁同步电机控制、热管理与系统集成开展校企联合研发，可承担横向课题。研发方向：电机电磁"
        "设计与NVH优化、矢量控制与无位置传感器算法、电驱总成热管理、功率模块驱动与标定；可提供台架"
        "验证与样机联调。",
        None,
        "项",
        ["university", "new_rnd"],
        ("ev",),
    ),
    (
        "电池管理系统算法开发",
        "rnd",
        "SOC/SOH估计、均衡策略与热失控预警算法开发，支持移植到企业BMS控制器。服务范围：电池等效电路"
        "建模与参数辨识、卡尔曼滤波SOC估计、健康状态与剩余寿命预测、主动与被动均衡、故障诊断；提供"
        "算法代码、仿真模型与实车数据验证。",
        (100000, 500000),
        "项",
        ["university", "new_rnd", "institute"],
        ("ev",),
    ),
    (
        "智能制造产线规划与数字化改造",
        "rnd",
        "产线诊断、数字化车间方案设计与MES实施指导，助力“机器换人”。服务范围：工艺与节拍分析、自动"
        "化与机器人工作站方案、产线仿真与布局优化、设备联网与数据采集、MES与质量追溯系统实施。",
        (50000, 300000),
        "项",
        ["new_rnd", "institute"],
        ("equipment",),
    ),
    (
        "改性塑料与功能材料配方开发",
        "rnd",
        "针对阻燃、增韧、耐候、低气味等需求开展配方设计、小试与中试验证。服务范围：基体树脂与助剂选"
        "型、填充与增强改性、无卤阻燃、抗老化体系、挤出造粒工艺与性能验证。",
        (30000, 200000),
        "项",
        ["institute", "new_rnd", "university"],
        ("polymer", "nano"),
    ),
    (
        "注塑模流分析与工艺优化",
        "rnd",
        "Moldflow模流分析、翘曲与缩痕预测、浇注与冷却系统优化，配合试模验证。服务范围：充填与保压分"
        "析、熔接痕与气穴预测、浇口位置与热流道方案、冷却水路设计、成型工艺窗口与DOE优化。",
        (8000, 50000),
        "项",
        ["institute", "new_rnd", "university", "eng_center"],
        ("polymer",),
    ),
    (
        "无铬鞣与制革清洁生产技术服务",
        "rnd",
        "无铬鞣剂筛选、鞣制工艺小试与中试，配套含铬废水减排方案。服务范围：无铬与少铬鞣工艺设计、复"
        "鞣加脂与染色配套、成革收缩温度与物理性能评价、铬鞣废液循环利用。",
        (50000, 250000),
        "项",
        ["institute", "university", "new_rnd"],
        ("fashion",),
    ),
    (
        "工业视觉检测算法定制",
        "rnd",
        "基于深度学习的表面缺陷检测算法开发与边缘部署。服务范围：光源与相机选型、缺陷样本采集与标注"
        "、检测与分类模型训练、尺寸测量与定位、产线边缘部署与误检漏检优化。",
        (80000, 400000),
        "项",
        ["new_rnd", "university"],
        ("equipment", "computing"),
    ),
    (
        "模具与精密零件快速试制",
        "rnd",
        "金属3D打印与五轴加工结合的快速原型与小批量试制服务。服务范围：选区激光熔化成形、随形冷却水"
        "路模具镶件、五轴与精密磨削加工、真空复模与小批量试制。",
        (5000, 50000),
        "批",
        ["new_rnd", "eng_center"],
        ("equipment",),
    ),
    (
        "仿真计算与结构优化",
        "rnd",
        "有限元结构、流体与热仿真分析，轻量化与拓扑优化设计。服务范围：强度、刚度与模态分析，疲劳寿"
        "命预测，碰撞与跌落，CFD流场与散热分析，电磁与多物理场耦合，拓扑与尺寸优化。",
        (20000, 150000),
        "项",
        ["university", "institute", "new_rnd"],
        ("chassis", "equipment", "computing", "ev"),
    ),
    (
        "发酵工艺开发与中试放大",
        "rnd",
        "菌种评价、培养基优化与5~500 L发酵放大，提供工艺包。服务范围：菌种筛选与稳定性评价、摇瓶与"
        "发酵罐工艺优化、补料与溶氧控制策略、分离纯化工艺开发、放大参数与批记录。",
        (50000, 300000),
        "项",
        ["new_rnd", "institute", "university"],
        ("biomfg",),
    ),
    (
        "纳米材料表征与分散工艺开发",
        "rnd",
        "粒度、Zeta电位、比表面积表征与纳米粉体分散工艺开发。服务范围：粒径分布、Zeta电位、比表面积"
        "与孔径、形貌与晶相表征，分散剂筛选、研磨与超声分散工艺、浆料稳定性评价。",
        (10000, 80000),
        "项",
        ["new_rnd", "institute", "university"],
        ("nano",),
    ),
    (
        "智能算力租用与模型训练支持",
        "rnd",
        "提供GPU算力租用、并行计算环境与模型训练、轻量化部署技术支持。服务范围：GPU集群按需租用、深"
        "度学习框架与作业调度环境、大模型微调与推理部署、模型剪枝与量化、高性能计算应用移植。",
        (5000, 50000),
        "月",
        ["new_rnd", "university"],
        ("computing",),
    ),
    (
        "燃料电池系统测试与集成开发",
        "rnd",
        "电堆极化曲线、耐久与低温启动测试，空气与氢气供给系统集成开发。服务范围：单电池与电堆性能测"
        "试、电化学阻抗、动态工况耐久、低温冷启动、氢气循环与空压机匹配、系统控制策略开发。",
        (50000, 300000),
        "项",
        ["new_rnd", "institute", "university"],
        ("hydrogen",),
    ),
    (
        "科技成果评价与技术经纪",
        "transfer",
        "组织专家开展科技成果评价，提供成果挖掘、路演与交易撮合服务。服务范围：成果技术成熟度与市场"
        "价值评价、专利价值评估、技术需求与成果对接、转让许可谈判与合同辅导。",
        (10000, 50000),
        "项",
        ["institute", "new_rnd"],
        (),
    ),
    (
        "技术合同认定登记辅导",
        "transfer",
        "协助企业规范技术开发、转让、许可合同并办理认定登记，享受税收优惠。服务范围：合同类型判定与"
        "条款审查、技术交易额核定、登记材料准备，技术转让所得减免与研发费用加计扣除衔接。",
        (2000, 8000),
        "份",
        ["institute"],
        (),
    ),
    (
        "专利导航与高价值专利培育",
        "ip",
        "围绕产业链开展专利导航分析，布局高价值专利组合。服务范围：技术领域专利检索与分析、竞争对手"
        "专利布局、侵权风险与自由实施（FTO）分析、核心技术专利挖掘与撰写指导。",
        (30000, 150000),
        "项",
        ["institute", "new_rnd"],
        (),
    ),
    (
        "知识产权贯标辅导",
        "ip",
        "按GB/T 29490辅导企业建立知识产权管理体系并通过认证。服务范围：知识产权现状诊断、管理制度与"
        "流程文件编写、内审员培训、认证审核陪同。",
        (20000, 60000),
        "项",
        ["institute", "new_rnd"],
        (),
    ),
    (
        "高新技术企业认定咨询",
        "consulting",
        "研发项目梳理、研发费用归集与申报材料辅导。服务范围：认定条件评估、知识产权与科技成果转化梳"
        "理、高新技术产品收入核算、研发组织管理水平材料与专项审计对接。",
        (10000, 40000),
        "项",
        ["new_rnd"],
        (),
    ),
    (
        "企业技术诊断与一企一策方案",
        "consulting",
        "组织产业链专家入企诊断，形成企业技术提升与梯次培育方案。服务范围：工艺与质量问题现场诊断、"
        "技术短板与需求梳理、产学研合作对象推荐、专精特新与高企梯次培育路径。",
        None,
        "次",
        ["university", "institute", "new_rnd"],
        (),
    ),
    (
        "标准制修订咨询",
        "consulting",
        "团体标准、行业标准立项与起草技术支持。服务范围：标准体系梳理、立项论证、技术指标与试验方法"
        "确定、验证试验组织、征求意见与报批材料。",
        (20000, 80000),
        "项",
        ["testing", "institute"],
        (),
    ),
    (
        "科技企业孵化与创业辅导",
        "incubation",
        "提供办公场地、创业导师与投融资对接的全链条孵化服务。服务范围：工商财税代办、创业导师辅导、"
        "政策申报、市场对接与路演。",
        (1000, 5000),
        "月",
        ["new_rnd", "university"],
        (),
    ),
    (
        "中试基地共享服务",
        "incubation",
        "开放中试车间与公用工程，支持科技成果从小试走向量产。服务范围：中试设备共享、工艺放大验证、"
        "试生产与样品制备、安全环保与质量体系支持。",
        (10000, 80000),
        "月",
        ["new_rnd", "institute"],
        (),
    ),
    (
        "科技型企业投融资对接",
        "finance",
        "对接创投机构与科技信贷产品，组织路演与尽职调查辅导。服务范围：融资需求诊断、商业计划书辅导"
        "、知识产权质押融资、科技保险与政府引导基金对接。",
        None,
        "次",
        ["new_rnd"],
        (),
    ),
    (
        "工程师继续教育与技能培训",
        "training",
        "面向产业链工程师开展新技术、新工艺与质量管理培训。课程方向：失效模式与影响分析（FMEA）、统"
        "计过程控制与质量工具、精益生产、新材料与新工艺应用、工业软件操作，可定制企业内训。",
        (800, 3000),
        "人",
        ["university", "institute"],
        (),
    ),
    (
        "实验室管理与CNAS认可辅导",
        "training",
        "实验室质量体系建设、内审员培训与CNAS认可准备。服务范围：体系文件编写、方法验证与测量不确定"
        "度评定、能力验证计划、内审与管理评审辅导、现场评审迎审准备。",
        (20000, 60000),
        "项",
        ["testing"],
        (),
    ),
]

# Transfer price bands (yuan); about a fifth of achievements are 面议 (no price).
PRICE_BANDS = [
    (Decimal("50000"), Decimal("300000")),
    (Decimal("300000"), Decimal("1500000")),
    (Decimal("1500000"), Decimal("5000000")),
]

PLATFORMS = {
    "postdoc": "博士后工作站",
    "academician": "院士专家工作站",
    "ent_institute": "企业研究院",
    "engineering": "工程技术研究中心",
    "key_lab": "重点实验室",
    "incubator": "众创空间",
}
