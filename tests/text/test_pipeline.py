from matchmaker.text import key_terms, normalize, shared_terms, tokenize


def test_normalize_traditional_fullwidth_and_case():
    assert normalize("機床熱誤差ＡＧＶ　ＰＬＣ") == "机床热误差agv plc"


def test_traditional_and_simplified_tokenize_alike():
    assert tokenize("數控機床主軸熱誤差補償") == tokenize("数控机床主轴热误差补偿")


def test_abbreviations_map_to_their_chinese_terms():
    assert "agv" in tokenize("仓库里的自动导引车经常丢码")
    assert "agv" in tokenize("AGV 二维码导航")
    assert "plc" in tokenize("可编程控制器国产化替换") and "plc" in tokenize("PLC 程序迁移")
    assert "lidar" in tokenize("激光雷达点云") and "lidar" in tokenize("LiDAR 点云")
    # the abbreviation's Chinese term does not leave its fragments behind
    assert "控制器" not in tokenize("可编程控制器")


def test_stopwords_and_boilerplate_dropped():
    toks = tokenize("我公司寻求一种技术，希望解决问题")
    for word in ("我公司", "寻求", "一种", "技术", "希望"):
        assert word not in toks


def test_search_mode_keeps_sub_words():
    toks = tokenize("数控机床")
    assert "数控机床" in toks and "机床" in toks


def test_key_terms_and_shared_terms():
    terms = key_terms("我公司自育的小麦品系赤霉病抗性差，审定过不了，想导入抗赤霉病基因。")
    assert "赤霉病" in terms
    a = tokenize("小麦赤霉病抗性差")
    b = tokenize("抗赤霉病小麦新种质创制")
    assert "赤霉病" in shared_terms(a, b)
    # a shorter term inside a longer shared one is not repeated
    assert shared_terms(tokenize("数控机床精度"), tokenize("数控机床热误差")) == ["数控机床"]
