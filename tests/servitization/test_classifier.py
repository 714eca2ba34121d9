"""Classifier: packaged dictionary on demo and tricky names, rule-file validation, overrides."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from analysis.servitization.classifier import (OverridesError, RulesError, label_segments, load_overrides,
                                               load_rules, normalize_name)

# The synthetic demo's segment names, with the labels the pipeline expects (hand-written, not derived
# from the rules file).
DEMO_PRODUCTS = ["工程机械", "起重机械", "压缩机", "电机", "阀门", "汽车零部件", "生物疫苗", "冷冻设备",
                 "电子元器件", "化工产品", "钢材", "光伏组件"]
DEMO_SERVICES = {
    "技术服务": "technical", "维修服务": "maintenance", "运维服务": "operation",
    "融资租赁": "finance_leasing", "设备租赁": "leasing", "工程承包": "engineering",
    "设计咨询": "design_consulting", "安装服务": "installation", "检测服务": "testing",
    "物流运输": "logistics", "软件及信息服务": "software_it", "培训服务": "training",
}
DEMO_NOT_SEGMENT = ["合计", "其他业务", "内部抵消"]


@pytest.fixture(scope="module")
def rules():
    return load_rules()


@pytest.mark.parametrize("name", DEMO_PRODUCTS)
def test_demo_products(rules, name):
    d = rules.classify(name)
    assert (d.label, d.service_type) == ("product", None)


@pytest.mark.parametrize("name,stype", sorted(DEMO_SERVICES.items()))
def test_demo_services(rules, name, stype):
    d = rules.classify(name)
    assert (d.label, d.service_type) == ("service", stype)
    assert d.decided_by.startswith("svc_")


@pytest.mark.parametrize("name", DEMO_NOT_SEGMENT)
def test_demo_not_segment(rules, name):
    assert rules.classify(name).label == "not_segment"


@pytest.mark.parametrize("name,label,stypes", [
    ("设备安装工程", "service", {"installation", "engineering"}),
    ("设备", "product", {None}),
    ("安装设备", "product", {None}),        # head noun beats the service keyword 安装
    ("安装调试费用", "not_segment", {None}),  # an expense beats the service keyword
    ("成套设备", "product", {None}),
    ("检测设备", "product", {None}),        # head noun 设备: equipment, not a testing service
    ("维修配件", "product", {None}),        # spare parts
    ("服务器", "product", {None}),          # hardware although it contains 服务
    ("融资租赁负债", "not_segment", {None}),
    ("租赁负债", "not_segment", {None}),
    ("使用权资产", "not_segment", {None}),
    ("设备维护费", "not_segment", {None}),   # an expense from the notes, not a revenue line
    ("其他业务收入", "not_segment", {None}),
    ("主营业务合计", "not_segment", {None}),
    ("小计", "not_segment", {None}),
    ("分部间抵销", "not_segment", {None}),
    ("营业收入", "not_segment", {None}),
    ("房屋租赁", "service", {"leasing"}),
    ("租赁收入", "service", {"leasing"}),
    ("融资租赁业务", "service", {"finance_leasing"}),
    ("技术服务费", "service", {"technical"}),  # 服务费 is kept as a revenue line
    ("技术服务收入", "service", {"technical"}),
    ("工程施工", "service", {"engineering"}),
    ("环保工程", "service", {"engineering"}),
    ("工程塑料", "product", {None}),
    ("EPC总承包", "service", {"engineering"}),
    ("其他", "product", {None}),
    ("售后服务", "service", {"maintenance"}),
    ("其他服务", "service", {"other_service"}),
])
def test_tricky_names(rules, name, label, stypes):
    d = rules.classify(name)
    assert d.label == label, d
    assert d.service_type in stypes, d


def test_totals_are_marked(rules):
    assert rules.classify("合计").is_total and rules.classify("主营业务合计").is_total
    assert not rules.classify("内部抵消").is_total


def test_normalization():
    assert normalize_name("  技术 服务\u3000") == "技术服务"
    assert normalize_name("技术服务（注1）") == "技术服务"
    assert normalize_name("ＥＰＣ总承包") == "EPC总承包"
    assert normalize_name(None) == "" and normalize_name(float("nan")) == ""


def test_normalized_names_get_same_label(rules):
    assert rules.classify(" 维修 服务（注2）").label == "service"
    assert rules.classify("合　计").label == "not_segment"  # full-width space inside


def _write_rules(tmp_path, body: str, name="rules.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(body), encoding="utf-8")
    return p


MINI = """
service_types: [leasing, other_service]
rules:
  - id: a_lease
    label: service
    service_type: leasing
    priority: {p1}
    contains: [租赁]
  - id: b_liability
    label: not_segment
    priority: {p2}
    regex: ['负债$']
"""


def test_priority_not_order_decides(tmp_path):
    high_ns = load_rules(_write_rules(tmp_path, MINI.format(p1=1, p2=2)))
    assert high_ns.classify("租赁负债").decided_by == "b_liability"
    high_lease = load_rules(_write_rules(tmp_path, MINI.format(p1=3, p2=2), "r2.yaml"))
    assert high_lease.classify("租赁负债").decided_by == "a_lease"
    assert high_lease.classify("钢材").decided_by == "default:product"


@pytest.mark.parametrize("body,fragment", [
    (MINI.format(p1=1, p2=1), "priority 1 already used"),
    (MINI.format(p1=1, p2=2).replace("label: not_segment", "label: nonsegment"), "label 'nonsegment'"),
    (MINI.format(p1=1, p2=2).replace("service_type: leasing", "service_type: renting"), "needs service_type"),
    (MINI.format(p1=1, p2=2).replace("'负债$'", "'负债($'"), "does not compile"),
    (MINI.format(p1=1, p2=2).replace("contains: [租赁]", "contain: [租赁]"), "unknown keys"),
    (MINI.format(p1=1, p2=2).replace("id: b_liability", "id: a_lease"), "duplicate id"),
    (MINI.format(p1=1, p2=2).replace("priority: 1\n", "priority: high\n"), "must be an integer"),
])
def test_rules_validation_names_file_and_rule(tmp_path, body, fragment):
    p = _write_rules(tmp_path, body)
    with pytest.raises(RulesError) as exc:
        load_rules(p)
    msg = str(exc.value)
    assert fragment in msg and str(p) in msg and "rule '" in msg


def test_rules_missing_file(tmp_path):
    with pytest.raises(RulesError, match="not found"):
        load_rules(tmp_path / "nope.yaml")


def test_packaged_rules_unique_priorities_and_types(rules):
    prios = [r.priority for r in rules.rules]
    assert prios == sorted(prios, reverse=True) and len(set(prios)) == len(prios)
    assert {r.service_type for r in rules.rules if r.label == "service"} <= set(rules.service_types)


# ------------------------------------------------------------------ overrides

def _segments(rows):
    return pd.DataFrame(rows, columns=["firm", "year", "breakdown", "segment", "revenue", "cost", "source"])


def test_override_wins_and_is_recorded(tmp_path, rules):
    csv = tmp_path / "ov.csv"
    csv.write_text(
        "firm,year,segment,label,note,service_type\n"
        "600201,,兽用疫苗,service,all years,technical\n"      # line 2
        "600201,2020,兽用疫苗,not_segment,year-specific,\n"   # line 3: beats line 2 in 2020
        "1,2019,技术服务,product,mislabelled in vendor file,\n",  # line 4, firm 000001
        encoding="utf-8")
    ov = load_overrides(csv)
    assert list(ov["firm"]) == ["600201", "600201", "000001"]
    assert ov["year"].isna().tolist() == [True, False, False]
    seg = _segments([
        ("600201", 2019, "product", "兽用疫苗", 10.0, 1.0, "vendor:csmar"),
        ("600201", 2020, "product", "兽用疫苗", 10.0, 1.0, "vendor:csmar"),
        ("000001", 2019, "product", "技术服务", 5.0, 1.0, "vendor:csmar"),
        ("000001", 2020, "product", "技术服务", 5.0, 1.0, "vendor:csmar"),
        ("600202", 2020, "product", "兽用疫苗", 10.0, 1.0, "vendor:csmar"),
    ])
    seg.index = [10, 11, 12, 13, 14]
    before = seg.copy()
    out = label_segments(seg, rules, ov)
    pd.testing.assert_frame_equal(seg, before)  # input untouched
    assert list(out.index) == [10, 11, 12, 13, 14]
    assert out["label"].tolist() == ["service", "not_segment", "product", "service", "product"]
    assert out["service_type"].tolist() == ["technical", None, None, "technical", None]
    assert out["decided_by"].tolist() == ["override:2", "override:3", "override:4", "svc_technical",
                                          "default:product"]


@pytest.mark.parametrize("line,fragment", [
    ("600201,2020,钢材,services,x", "label 'services'"),
    ("60020A,2020,钢材,product,x", "firm"),
    ("600201,20x0,钢材,product,x", "year"),
    ("600201,2020,,product,x", "empty segment"),
])
def test_override_errors_name_line(tmp_path, line, fragment):
    csv = tmp_path / "ov.csv"
    csv.write_text("firm,year,segment,label,note\n600201,2019,钢材,product,ok\n" + line + "\n", encoding="utf-8")
    with pytest.raises(OverridesError) as exc:
        load_overrides(csv)
    assert fragment in str(exc.value) and "line 3" in str(exc.value) and str(csv) in str(exc.value)


def test_override_duplicate_and_missing_column(tmp_path):
    csv = tmp_path / "ov.csv"
    csv.write_text("firm,year,segment,label,note\n600201,2019,钢材,product,a\n600201,2019, 钢 材 ,service,b\n",
                   encoding="utf-8")
    with pytest.raises(OverridesError, match="duplicate.*line 2"):
        load_overrides(csv)
    csv.write_text("firm,segment,label\n600201,钢材,product\n", encoding="utf-8")
    with pytest.raises(OverridesError, match="missing columns"):
        load_overrides(csv)


def test_generated_segments_known_labels(rules):
    """Every demo name in every firm-year gets its hand-written label, in any row order."""
    import random
    rng = random.Random(20240501)
    truth = {**{n: ("product", None) for n in DEMO_PRODUCTS},
             **{n: ("service", t) for n, t in DEMO_SERVICES.items()},
             **{n: ("not_segment", None) for n in DEMO_NOT_SEGMENT}}
    names = list(truth)
    rows = []
    for firm in range(1, 40):
        for year in (2018, 2019, 2020):
            for n in rng.sample(names, k=rng.randint(1, 8)):
                rows.append((f"{firm:06d}", year, "product", n, rng.uniform(1, 1e8), float("nan"), "vendor:demo"))
    seg = _segments(rows)
    out = label_segments(seg, rules)
    got = list(zip(out["label"], out["service_type"]))
    assert got == [truth[n] for n in seg["segment"]]
