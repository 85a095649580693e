from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuctionsConfig(AppConfig):
    name = "kechuang.auctions"
    label = "auctions"
    verbose_name = _("专利竞价拍卖")
