"""A restricted demand (仅运营方与受邀专家可见) never reaches the public through organisation search: its
title is not in the organisation's search document, so neither the API's ``?q=`` nor ``/search/`` finds or
quotes it for an anonymous visitor. A public demand still helps its enterprise be found."""

from kechuang.demands.models import Demand

SECRET = "铝合金压铸件气孔缺陷"


def test_restricted_demand_title_stays_out_of_organisation_search(
    world, published_demand, client, reindex
):
    Demand.objects.filter(pk=published_demand.pk).update(
        title=f"{SECRET}检测技术需求", visibility=Demand.Visibility.RESTRICTED
    )
    reindex()
    api = client.get("/api/directory/organization/", {"q": SECRET})
    assert api.status_code == 200
    assert SECRET not in api.text
    assert world.enterprise.name not in api.text
    page = client.get("/search/", {"q": SECRET})
    assert page.status_code == 200
    assert SECRET not in page.content.decode().split("<main", 1)[-1].replace(
        f'value="{SECRET}"', ""
    ).replace(f"“{SECRET}”", "")


def test_public_demand_title_still_finds_its_enterprise(world, published_demand, client, reindex):
    Demand.objects.filter(pk=published_demand.pk).update(title=f"{SECRET}检测技术需求")
    reindex()
    api = client.get("/api/directory/organization/", {"q": SECRET}).json()
    assert [hit["name"] for hit in api["results"]] == [world.enterprise.name]


def test_making_a_demand_restricted_takes_it_out_of_the_index(
    world, published_demand, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        published_demand.title = f"{SECRET}检测技术需求"
        published_demand.save()
    assert client.get("/api/directory/organization/", {"q": SECRET}).json()["count"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        published_demand.visibility = Demand.Visibility.RESTRICTED
        published_demand.save()
    assert client.get("/api/directory/organization/", {"q": SECRET}).json()["count"] == 0
