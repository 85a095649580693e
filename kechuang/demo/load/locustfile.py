"""The load test's simulated people (locust), run by ``kechuang bench load`` against the demo region.

Visitors browse and search the directory anonymously; enterprise engineers post demands, read their
demand pages with matches and ask experts to engage; experts read their inbox and accept or decline
requests; operators approve pending demands from their console. ``/healthz`` is requested by a monitor
once a second as the same-run baseline (the cheapest request the server answers). Every demand a
simulated engineer saw accepted (a redirect to its page) is written to ``KECHUANG_LOAD_POSTED`` at the
end, so the benchmark can check each is in the database exactly once.

Only locust imports this module (it patches the standard library with gevent).
"""

import json
import os
import random
import re
import uuid

from locust import HttpUser, between, constant, events, task

PASSWORD = os.environ.get("KECHUANG_LOAD_PASSWORD", "kechuang2026")
POSTED: list[dict] = []

QUERIES = [
    "永磁同步电机",
    "铝合金压铸",
    "盐雾试验",
    "锂电池",
    "汽车制动",
    "注塑模具",
    "数控机床",
    "激光焊接",
    "气相色谱",
    "智能制造",
    "新能源汽车",
    "表面处理",
]
LISTS = ["organizations", "experts", "achievements", "instruments", "services"]
PROBLEMS = [
    ("电机控制器功率模块散热", "功率模块温升偏高，需要优化散热结构与导热材料，目标结温降低10℃。"),
    (
        "铝合金压铸件气孔控制",
        "压铸件内部气孔导致渗漏，需要工艺参数优化与真空压铸方案，合格率提升到98%。",
    ),
    ("制动卡钳异响分析", "整车低速制动时卡钳异响，需要开展NVH测试与摩擦材料匹配分析。"),
    ("注塑件翘曲变形优化", "长条形注塑件翘曲超差，需要模流分析与模具冷却水路优化。"),
    ("锂电池包热失控防护", "电池包需要通过热扩散测试，寻求隔热材料与结构防护方案。"),
]
DEMAND_LINK = re.compile(r"/demands/(\d+)/$")


def csrf(user: HttpUser) -> str:
    return user.client.cookies.get("csrftoken", "")


def log_in(user: HttpUser, username: str) -> None:
    user.client.get("/accounts/login/", name="login page")
    user.client.post(
        "/accounts/login/",
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf(user)},
        name="log in",
    )


def post_form(user: HttpUser, url: str, data: dict, name: str):
    return user.client.post(
        url,
        {**data, "csrfmiddlewaretoken": csrf(user)},
        headers={"X-CSRFToken": csrf(user)},
        allow_redirects=False,
        name=name,
    )


class Visitor(HttpUser):
    """Anonymous: the home page, directory lists, search, record pages."""

    weight = 10
    wait_time = between(2, 6)

    @task(3)
    def search(self):
        self.client.get(f"/search/?q={random.choice(QUERIES)}", name="search")

    @task(3)
    def listing(self):
        kind = random.choice(LISTS)
        self.client.get(f"/{kind}/?q={random.choice(QUERIES)}", name="directory list + keyword")

    @task(2)
    def record(self):
        kind = random.choice(LISTS)
        answer = self.client.get(f"/api/directory/{kind[:-1]}/?page_size=20", name="api list")
        if answer.ok and (rows := answer.json()["results"]):
            pk = random.choice(rows)["id"]
            self.client.get(f"/{kind}/{pk}/", name="record page")

    @task(1)
    def home(self):
        self.client.get("/", name="home")


class Engineer(HttpUser):
    """An enterprise member posting demands and asking experts to engage."""

    weight = 4
    wait_time = between(3, 8)

    def on_start(self):
        log_in(self, "enterprise")
        self.demands: list[int] = []

    @task(1)
    def post_demand(self):
        form = self.client.get("/demands/new/", name="demand form")
        # One organisation: a hidden input; several: a select whose first real option is taken.
        match = re.search(r'name="organization" value="(\d+)"', form.text) or re.search(
            r'<select name="organization".*?<option value="(\d+)"', form.text, re.S
        )
        if not match:
            return
        topic, text = random.choice(PROBLEMS)
        title = f"{topic}（压测{uuid.uuid4().hex[:8]}）"
        answer = post_form(
            self,
            "/demands/new/",
            {
                "organization": match.group(1),
                "title": title,
                "description": text,
                "visibility": "public",
                "contact_name": "王工",
                "contact_phone": "0577-65551234",
                "submit": "1",
            },
            "post demand",
        )
        if answer.status_code == 302 and (link := DEMAND_LINK.search(answer.headers["Location"])):
            POSTED.append({"id": int(link.group(1)), "title": title})
            self.demands.append(int(link.group(1)))

    @task(3)
    def read_demand(self):
        rows = self.client.get("/api/demands/?status=published&limit=50", name="api demands").json()
        ids = self.demands + [row["id"] for row in rows]
        if ids:
            self.client.get(f"/demands/{random.choice(ids)}/", name="demand page (matches)")

    @task(1)
    def engage(self):
        if not self.demands:
            return
        pk = random.choice(self.demands)
        answer = self.client.get("/api/directory/expert/?page_size=20", name="api list")
        if answer.ok and (expert := answer.json()["results"]):
            post_form(
                self,
                f"/demands/{pk}/engage/",
                {"match_type": "expert", "match_id": random.choice(expert)["id"]},
                "request engagement",
            )


class Expert(HttpUser):
    """An expert answering requests."""

    weight = 3
    wait_time = between(3, 8)

    def on_start(self):
        log_in(self, "expert")

    @task(2)
    def inbox(self):
        self.client.get("/demands/inbox/", name="expert inbox")

    @task(1)
    def answer(self):
        rows = self.client.get(
            "/api/demands/engagements?status=requested", name="api engagements"
        ).json()
        if rows:
            action = random.choice(["accept", "accept", "decline"])
            data = {"reason": "近期排期已满"} if action == "decline" else {}
            post_form(
                self,
                f"/demands/engagements/{random.choice(rows)['id']}/{action}/",
                data,
                f"engagement {action}",
            )


class Operator(HttpUser):
    """A 科协 operator approving what engineers posted."""

    weight = 3
    wait_time = between(3, 8)

    def on_start(self):
        log_in(self, random.choice(["ruian", "wenzhou"]))

    @task
    def review(self):
        console = self.client.get("/demands/console/", name="operator console")
        pending = re.findall(r'action="/demands/(\d+)/approve/"', console.text)
        if pending:
            post_form(self, f"/demands/{random.choice(pending)}/approve/", {}, "approve demand")


class Monitor(HttpUser):
    """The same-run baseline: the health check, once a second."""

    fixed_count = 1
    wait_time = constant(1)

    @task
    def health(self):
        self.client.get("/healthz", name="healthz (baseline)")


@events.quitting.add_listener
def _write_posted(environment, **kwargs):
    path = os.environ.get("KECHUANG_LOAD_POSTED")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(POSTED, f, ensure_ascii=False)
