"""Open data: the human page listing the datasets (``/open-data/``), each dataset as CSV and JSON
(``/open-data/<slug>.csv|.json``, streamed row by row so a large set never sits in memory), and the
DCAT catalogue in JSON-LD (``/open-data/catalog.jsonld``) a provincial portal harvests. Anonymous and
read-only; every file is built from :mod:`kechuang.opendata.datasets`, which alone decides what is public."""

import json
from collections.abc import Iterator

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from kechuang.core.spreadsheet_cells import GuardedCSVWriter
from kechuang.opendata.datasets import BY_SLUG, DATASETS, Dataset

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "CSV"),
    "json": ("application/json; charset=utf-8", "JSON"),
}


def _dataset(slug: str) -> Dataset:
    if slug not in BY_SLUG:
        raise Http404(_("没有这个数据集"))
    return BY_SLUG[slug]


def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "opendata/index.html",
        {
            "datasets": [(d, d.count(), d.modified()) for d in DATASETS],
            "license": settings.OPEN_DATA_LICENSE,
            "publisher": settings.OPEN_DATA_PUBLISHER,
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value):
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def csv_lines(dataset: Dataset) -> Iterator[str]:
    writer = GuardedCSVWriter(_Echo())
    yield "\ufeff" + writer.writerow([c.name for c in dataset.columns])
    for row in dataset.rows():
        yield writer.writerow([_cell(row[c.name]) for c in dataset.columns])


def json_chunks(dataset: Dataset) -> Iterator[str]:
    """A JSON array written a row at a time."""
    yield "["
    first = True
    for row in dataset.rows():
        yield ("\n" if first else ",\n") + json.dumps(
            row, cls=DjangoJSONEncoder, ensure_ascii=False
        )
        first = False
    yield "\n]\n"


def download(request: HttpRequest, slug: str, fmt: str) -> StreamingHttpResponse:
    dataset = _dataset(slug)
    if fmt not in FORMATS:
        raise Http404(_("没有这个数据格式"))
    chunks = csv_lines(dataset) if fmt == "csv" else json_chunks(dataset)
    response = StreamingHttpResponse(chunks, content_type=FORMATS[fmt][0])
    response["Content-Disposition"] = f'attachment; filename="kechuang-{slug}.{fmt}"'
    response["Access-Control-Allow-Origin"] = "*"  # portals fetch it from their own pages
    return response


def _moment(value) -> dict | None:
    if value is None:
        return None
    kind = "xsd:dateTime" if hasattr(value, "hour") else "xsd:date"
    return {"@value": value.isoformat(), "@type": kind}


def catalogue_document(request: HttpRequest) -> dict:
    """The DCAT catalogue: one ``dcat:Dataset`` per dataset, each with a CSV and a JSON
    ``dcat:Distribution``, its ``dct:modified``, the licence and the publisher."""
    absolute = request.build_absolute_uri
    publisher = {"@type": "foaf:Organization", "foaf:name": settings.OPEN_DATA_PUBLISHER}
    license_ = {"@id": settings.OPEN_DATA_LICENSE}
    datasets, latest = [], None
    for dataset in DATASETS:
        modified = dataset.modified()
        if modified is not None and hasattr(modified, "hour"):
            latest = modified if latest is None else max(latest, modified)
        page = absolute(reverse("opendata:index")) + f"#{dataset.slug}"
        entry = {
            "@id": page,
            "@type": "dcat:Dataset",
            "dct:identifier": dataset.slug,
            "dct:title": str(dataset.title),
            "dct:description": str(dataset.description),
            "dcat:keyword": list(dataset.keywords),
            "dct:publisher": publisher,
            "dct:license": license_,
            "dct:language": {"@id": "http://id.loc.gov/vocabulary/iso639-1/zh"},
            "dcat:landingPage": {"@id": page},
            "dcat:distribution": [
                {
                    "@type": "dcat:Distribution",
                    "dct:title": f"{dataset.title}（{label}）",
                    "dcat:downloadURL": {
                        "@id": absolute(reverse("opendata:download", args=[dataset.slug, fmt]))
                    },
                    "dcat:mediaType": media.split(";")[0],
                    "dct:format": label,
                    "dct:license": license_,
                }
                for fmt, (media, label) in FORMATS.items()
            ],
        }
        if modified is not None:
            entry["dct:modified"] = _moment(modified)
        datasets.append(entry)
    catalogue = {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": absolute(reverse("opendata:catalogue")),
        "@type": "dcat:Catalog",
        "dct:title": _("科创平台开放数据目录"),
        "dct:description": _(
            "科技经济融通平台公开发布的机构、专家、成果、仪器、服务、需求、揭榜挂帅与技术交易数据。"
        ),
        "dct:publisher": publisher,
        "dct:license": license_,
        "foaf:homepage": {"@id": absolute(reverse("opendata:index"))},
        "dcat:dataset": datasets,
    }
    if latest is not None:
        catalogue["dct:modified"] = _moment(latest)
    return catalogue


def catalogue(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(
        catalogue_document(request),
        content_type="application/ld+json; charset=utf-8",
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response
