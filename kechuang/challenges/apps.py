from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChallengesConfig(AppConfig):
    name = "kechuang.challenges"
    label = "challenges"
    verbose_name = _("揭榜挂帅")

    def ready(self) -> None:
        from kechuang.challenges.search import register_challenges

        register_challenges()
