from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    """The signed-in person's console (``/manage/``): the workbench that lands each role on what waits for
    it, the members' pages for their organisations' records and the operators' review queue. It reads every
    capability (directory, demands, challenges, …), so it sits above them and nothing below imports it."""

    name = "kechuang.workbench"
    label = "workbench"
    verbose_name = _("工作台")
