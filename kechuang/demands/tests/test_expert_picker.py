"""The expert picker of the pool and team forms: search-as-you-type over the matching engine's expert
search, ticked experts kept while the search changes, and only for those who run pools or teams."""

import pytest

from kechuang.accounts.factories import MembershipFactory
from kechuang.core.factories import IndustryChainFactory
from kechuang.demands import services
from kechuang.demands.models import EngineerPool, PoolMember
from kechuang.directory.factories import ExpertFactory, OrganizationFactory
from kechuang.directory.models import Status

PICK = "/demands/experts/pick/"


@pytest.fixture
def zhao(world):
    return ExpertFactory(
        name="赵工",
        keywords=["精密铸造", "压铸模具"],
        profile="汽车零部件压铸工艺工程师。",
        region=world.district,
    )


@pytest.fixture
def pool(world, chain):
    return services.create_pool(world.operator, chain, world.city, "温州汽配池")


@pytest.fixture
def chain(db):
    return IndustryChainFactory(name="汽车零部件", slug="auto-parts")


def options(client, query: str, field: str = "experts", **extra) -> str:
    params = {"field": field, "q": query, **extra}
    if field == "experts":
        params["multiple"] = "1"
    response = client.get(PICK, params)
    assert response.status_code == 200
    return response.content.decode()


def test_typing_finds_experts_through_the_engine(world, zhao, reindex, client):
    reindex()
    client.force_login(world.operator)

    by_name = options(client, "陈教授")
    by_work = options(client, "压铸")

    assert f'value="{world.expert.pk}"' in by_name and "赵工" not in by_name
    assert f'type="checkbox" name="experts" value="{zhao.pk}"' in by_work
    assert "陈教授" not in by_work
    assert options(client, "").strip() == ""


def test_ticked_experts_stay_listed_first_while_the_search_changes(world, zhao, reindex, client):
    reindex()
    client.force_login(world.operator)

    html = options(client, "压铸", experts=[str(world.expert.pk)])

    ticked = f'name="experts" value="{world.expert.pk}" checked'
    assert ticked in html and html.index(ticked) < html.index(f'value="{zhao.pk}"')
    assert f'value="{zhao.pk}" checked' not in html


def test_a_single_picker_keeps_one_and_unpublished_experts_never_show(world, zhao, reindex, client):
    hidden = ExpertFactory(name="钱工", status=Status.DRAFT, keywords=["压铸"])
    reindex()
    client.force_login(world.operator)

    html = options(client, "压铸", field="expert", expert=[str(hidden.pk), str(zhao.pk)])

    assert f'value="{hidden.pk}"' not in html
    assert html.count("checked") == 0  # the first submitted id was not a published expert
    html = options(client, "", field="expert", expert=[str(zhao.pk), str(world.expert.pk)])
    assert f'type="radio" name="expert" value="{zhao.pk}" checked' in html
    assert f'value="{world.expert.pk}"' not in html


@pytest.mark.parametrize(
    ("who", "status"), [("outsider", 403), ("owner", 403), ("expert_user", 403)]
)
def test_only_operators_and_societies_pick(world, who, status, client):
    client.force_login(getattr(world, who))
    assert client.get(PICK, {"field": "experts", "q": "陈"}).status_code == status


def test_a_society_member_picks_and_an_unknown_field_is_refused(world, client):
    society = OrganizationFactory(kind="society", region=world.province)
    client.force_login(MembershipFactory(organization=society).user)
    assert client.get(PICK, {"field": "experts", "q": "陈"}).status_code == 200
    assert client.get(PICK, {"field": "name", "q": "陈"}).status_code == 404
    client.logout()
    assert client.get(PICK, {"field": "experts", "q": "陈"}).status_code == 302


def test_the_pool_form_enrols_the_picked_expert_and_refuses_others(world, pool, zhao, client):
    draft = ExpertFactory(status=Status.DRAFT)
    client.force_login(world.operator)

    page = client.get(pool.get_absolute_url()).content.decode()
    assert 'hx-get="/demands/experts/pick/"' in page

    response = client.post(pool.get_absolute_url(), {"expert": draft.pk, "specialities": "x"})
    assert response.status_code == 200 and "专家不存在或未发布" in response.content.decode()
    response = client.post(pool.get_absolute_url(), {"specialities": "x"})
    assert "请选择工程师" in response.content.decode()
    assert not PoolMember.objects.exists()

    client.post(pool.get_absolute_url(), {"expert": zhao.pk, "specialities": "压铸"})
    assert list(pool.members.values_list("expert__name", "specialities")) == [("赵工", "压铸")]

    client.post(pool.get_absolute_url(), {"expert": zhao.pk, "remove": "1"})
    assert not EngineerPool.objects.get().members.exists()
