"""What a demand's match list promises its reader: a strength with a stated meaning and the order that
follows it, evidence naming the demand's key phrases beside the sentence that answers each, experts
taking no work and weak matches folded away, no retired instrument, one copy of one instrument model,
organisations by the role they can play (through their people, achievements and services, not their
instruments), and the same first five whatever number is asked for."""

from kechuang.demands.factories import DemandFactory
from kechuang.demands.queries import Match, demand_matches
from kechuang.directory.factories import (
    ExpertFactory,
    OrganizationFactory,
)
from kechuang.directory.models import Expert, Instrument
from kechuang.matching.base import Evidence, Hit
from kechuang.search.indexing import search


def test_the_list_follows_strength_and_folds_who_takes_no_work(noise_world, reindex):
    demand, _busy, _free, *_rest = noise_world
    reindex()
    [experts] = demand_matches(demand, "own", ["expert"])
    # 孙研究员 answers more of the demand but takes no work now: folded, never above 钱工.
    assert [(m.obj.name, m.strength_label) for m in experts.matches] == [("钱工", "较强")]
    assert [(m.obj.name, m.strength_label) for m in experts.more] == [("孙研究员", "强")]
    # 吴工 is found by the engine (装置、优化 are index terms) but has no evidence: not listed at all
    wu = Expert.objects.get(name="吴工")
    assert f"expert:{wu.pk}" in {h.id for h in search(demand.search_text, types=["expert"])}
    evidence = [(e.field, e.terms, e.snippet) for e in experts.matches[0].hit.evidence]
    assert evidence[0] == (
        "keywords",
        ["空气压缩机", "噪声"],
        "<mark>空气压缩机</mark> <mark>噪声</mark>",
    )
    # no digit, unit or generic word (装置、优化、结构) is ever named
    named = {t for e in experts.matches[0].hit.evidence for t in e.terms}
    assert named == {"空气压缩机", "噪声"}


def test_one_instrument_model_once_and_no_retired_instrument(noise_world, reindex):
    demand, *_experts, retired, _peer, _testing = noise_world
    reindex()
    [instruments] = demand_matches(demand, "own", ["instrument"])
    shown = instruments.matches + instruments.more
    assert [(m.obj.name, m.obj.model_number) for m in shown] == [("噪声振动分析仪", "LMS SCADAS")]
    assert retired.pk not in {m.obj.pk for m in shown}
    # one line names the other holders of the model, so the reader still sees them
    assert sorted(o.owner.name for o in shown[0].also) == sorted(
        {"检测站0", "检测站1", "检测站2"} - {shown[0].obj.owner.name}
    )


def test_organisations_by_role_never_the_demands_own(noise_world, reindex, world):
    demand, *_experts, peer, _testing = noise_world
    OrganizationFactory(
        name="杭州压缩机有限公司",  # an enterprise of another chain, as strong as the testing body
        kind="enterprise",
        region=world.district,
        main_products="噪声 空气压缩机 能耗",
        description="",
    )
    reindex()
    [orgs] = demand_matches(demand, "own", ["organization"], k=10)
    solvers = [(m.obj.name, m.role, m.strength_label) for m in orgs.matches + orgs.more]
    # solvers first within a band; the acoustics institute is found through its experts. The testing
    # stations own the noise analyser the demand asks for whole (用于空气压缩机噪声测量), and are named
    # beside it in the instrument list: an instrument makes its owner no solver, nor does a retired one
    assert solvers[:3] == [
        ("温州噪声检测中心", "solver", "强"),
        ("温州声学研究所", "solver", "强"),
        ("杭州压缩机有限公司", "enterprise", "强"),
    ]
    assert not any(name.startswith("检测站") for name, _role, _label in solvers)
    lab = next(m for m in orgs.matches if m.obj.name == "温州声学研究所")
    assert {e.field for e in lab.hit.evidence} == {"member_expert"}
    # the member who takes work is quoted first, though 孙研究员 answers more; 孙研究员 is marked
    assert [e.snippet.split("：")[0] for e in lab.hit.evidence] == ["钱工", "孙研究员（暂不对接）"]
    assert peer.name not in solvers and world.enterprise.name not in solvers
    assert [(m.obj.name, m.role) for m in orgs.peers] == [("瑞安气源装置有限公司", "peer")]


def test_the_first_five_do_not_depend_on_k(noise_world, reindex, world):
    """Forty short records repeating three of the demand's phrases lead the engine's order; three long
    ones that answer the whole demand come after them but are stronger. Whatever k is asked for, the page
    reorders one pool of the same size, so the strong three lead every time."""
    demand = noise_world[0]
    for n in range(40):
        ExpertFactory(
            name=f"噪声专家{n}",
            region=world.district,
            keywords=["空气压缩机", "噪声", "能耗"],
            profile="空气压缩机噪声能耗。" * 5,
        )
    filler = "长期从事企业生产管理、质量体系建设与供应商审核工作，熟悉整车厂的供货要求。" * 40
    strong = [
        ExpertFactory(
            name=f"气源专家{n}",
            region=world.district,
            keywords=[],
            profile=f"{filler}研究电控气源装置与空气压缩机的噪声和能耗。",
        ).pk
        for n in range(3)
    ]
    reindex()

    def top(k):
        [group] = demand_matches(demand, "own", ["expert"], k=k)
        return [m.obj.pk for m in group.matches][:5]

    ranked = [h.id for h in search(demand.search_text, types=["expert"], k=60)]
    assert min(ranked.index(f"expert:{pk}") for pk in strong) >= 40  # deep in the engine's order
    assert set(top(5)[:3]) == set(strong)
    assert top(5) == top(10) == top(50)


def test_demand_page_shows_strength_legend_and_aligned_evidence(
    noise_world, reindex, client, world
):
    demand, _busy, free, *_rest = noise_world
    reindex()
    client.force_login(world.owner)
    html = client.get(f"/demands/{demand.pk}/?scope=own").content.decode()
    assert "匹配强度说明" in html
    assert '<span class="badge strength strength-good">匹配强度：较强</span>' in html
    assert (
        '<span class="phrases"><mark>空气压缩机</mark>、<mark>噪声</mark></span>'
        '<span class="muted"> ← 关键词：</span><mark>空气压缩机</mark> <mark>噪声</mark>'
    ) in html
    assert "更多（相关度较低或暂不对接）" in html
    assert '<span class="badge peer-badge">同行企业</span>' in html
    # no raw score or similarity is shown
    assert "相关度 " not in html and "语义相似度" not in html
    # the same-trade enterprise has no request button; the expert has one
    assert f'name="match_id" value="{free.pk}"' in html
    assert (
        f'<input type="hidden" name="match_type" value="organization"><input type="hidden" name="match_id" value="{noise_world[4].pk}">'
        not in html
    )


def test_expert_inbox_shows_relevant_demands_and_links_to_the_rest(
    world, published_demand, reindex, client
):
    weak = DemandFactory(
        title="新能源汽车车身涂装线改造",
        description="涂装线喷涂机器人轨迹规划与漆膜厚度检测。",
    )
    reindex()
    client.force_login(world.expert_user)
    html = client.get("/demands/inbox/").content.decode()
    assert published_demand.title in html
    assert '<span class="badge strength strength-good">匹配强度：较强</span>' in html
    assert weak.title not in html
    assert '<a href="?all=1#matching-demands">另有 1 条相关度较低的需求</a>' in html
    html = client.get("/demands/inbox/?all=1").content.decode()
    assert "相关度较低的需求</h3>" in html and weak.title in html
    assert html.index(published_demand.title) < html.index(weak.title)


def test_within_a_band_a_record_answering_in_one_sentence_comes_first():
    def expert(name: str, strength: float, focus: float, score: float) -> Match:
        hit = Hit(f"expert:{name}", "expert", score, [Evidence("papers", ["伺服"], "")], None)
        hit.strength, hit.focus = strength, focus
        return Match("expert", Expert(name=name), hit, raw_strength=strength)

    spread = expert("甲", 0.26, 0.09, score=3.0)  # three phrases, a word per paper
    together = expert("乙", 0.25, 0.25, score=1.0)  # the same share in one paper title
    stronger = expert("丙", 0.31, 0.05, score=2.0)  # a band above (较强): strength first
    ranked = sorted([spread, together, stronger], key=Match.sort_key)
    assert [m.obj.name for m in ranked] == ["丙", "乙", "甲"]
    assert [m.strength_label for m in ranked] == ["较强", "一般", "一般"]
    # an instrument is one short text: its strength alone orders it
    rig = Match("instrument", Instrument(name="电液伺服试验台"), spread.hit, raw_strength=0.26)
    assert rig.focused_strength == 0.26


def test_the_phrases_are_shown_as_the_demand_writes_them(world, reindex, client):
    demand = DemandFactory(
        organization=world.enterprise,
        region=world.district,
        title="商用车EBS电磁阀响应迟缓",
        description="ＥＢＳ电磁阀低温下响应时间超过80毫秒，需优化电磁阀驱动。",
    )
    ExpertFactory(
        name="严工",
        region=world.district,
        availability="available",
        keywords=["ebs", "电磁阀"],
        profile="从事商用车ebs电磁阀驱动研究。",
    )
    reindex()
    [experts] = demand_matches(demand, "own", ["expert"])
    [match] = experts.matches
    # the engine matches the normalised ebs; the reader sees the demand's first EBS
    assert {t for ev in match.hit.evidence for t in ev.terms} == {"EBS", "电磁阀", "商用车", "驱动"}
    client.force_login(world.owner)
    html = client.get(f"/demands/{demand.pk}/?scope=own").content.decode()
    assert "<mark>EBS</mark>" in html and "<mark>ebs</mark>、" not in html
