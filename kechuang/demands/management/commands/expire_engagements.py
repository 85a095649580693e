from django.core.management.base import BaseCommand

from kechuang.demands.services import expire_stale_engagements


class Command(BaseCommand):
    help = "Expire engagement requests unanswered for ENGAGEMENT_EXPIRY_DAYS days (过期未回应的对接请求)."

    def handle(self, *args, **options):
        expired = expire_stale_engagements()
        self.stdout.write(f"expired {expired} engagement request(s)")
