"""Admin of the industry chains, registered by the search app: a chain's name and keywords are words of
the tokeniser's dictionary, so adding, renaming, re-wording or deleting one queues an index rebuild
(:func:`kechuang.search.vocabulary.request_rebuild`). Core, which owns the model, sits below search."""

from django.contrib import admin

from kechuang.core.models import IndustryChain
from kechuang.search import vocabulary


@admin.register(IndustryChain)
class IndustryChainAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug", "keywords"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["regions"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change or {"name", "keywords"} & set(form.changed_data):
            vocabulary.request_rebuild(request.user)  # the chain's words segment indexed text

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        vocabulary.request_rebuild(request.user)

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        vocabulary.request_rebuild(request.user)
