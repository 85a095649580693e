"""The vocabulary, index-rebuild and embedding-run models move from the core app to the search app with
their rows: the state is created here over the existing tables (no database change), then the tables and
the page-order index take the search app's names, and the content types and audit rows that name the
models follow them. ``core.0007_move_search_models_to_search_app`` drops the models from core's state."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ["vocabularyentry", "indexrebuild", "embeddingrun"]


def relabel(apps, old: str, new: str) -> None:
    """Content types and audit rows of the moved models: ``old`` app label → ``new``."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    AuditEntry = apps.get_model("core", "AuditEntry")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)
        AuditEntry.objects.filter(target_type=f"{old}.{model}").update(target_type=f"{new}.{model}")


def forwards(apps, schema_editor) -> None:
    relabel(apps, "core", "search")


def backwards(apps, schema_editor) -> None:
    relabel(apps, "search", "core")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("core", "0006_full_width_labels"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='EmbeddingRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('started_at', models.DateTimeField(verbose_name='开始时间')),
                        ('updated_at', models.DateTimeField(verbose_name='更新时间')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='完成时间')),
                        ('done', models.PositiveIntegerField(default=0, verbose_name='已计算')),
                        ('total', models.PositiveIntegerField(default=0, verbose_name='本次待计算')),
                    ],
                    options={
                        'db_table': 'core_embeddingrun',
                        'verbose_name': '语义向量计算',
                        'verbose_name_plural': '语义向量计算',
                        'ordering': ['-started_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='IndexRebuild',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('queued', '排队中'), ('running', '重建中'), ('done', '已完成'), ('failed', '失败')], default='queued', max_length=10, verbose_name='状态')),
                        ('requested_at', models.DateTimeField(auto_now_add=True, verbose_name='发起时间')),
                        ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='开始时间')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='完成时间')),
                        ('done', models.PositiveIntegerField(default=0, verbose_name='已处理')),
                        ('total', models.PositiveIntegerField(default=0, verbose_name='总数')),
                        ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='发起人')),
                    ],
                    options={
                        'db_table': 'core_indexrebuild',
                        'verbose_name': '索引重建',
                        'verbose_name_plural': '索引重建',
                        'ordering': ['-requested_at', '-pk'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'queued')), fields=('status',), name='indexrebuild_one_queued')],
                    },
                ),
                migrations.CreateModel(
                    name='VocabularyEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('term', '领域词'), ('synonym', '同义词组'), ('stopword', '停用词')], max_length=10, verbose_name='类别')),
                        ('text', models.CharField(max_length=620, verbose_name='词语')),
                        ('key', models.CharField(blank=True, editable=False, max_length=620)),
                        ('note', models.CharField(blank=True, max_length=200, verbose_name='备注')),
                        ('active', models.BooleanField(default=True, verbose_name='有效')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='添加时间')),
                        ('deactivated_at', models.DateTimeField(blank=True, null=True, verbose_name='删除时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, db_index=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='添加人')),
                        ('deactivated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='删除人')),
                        ('region', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.region', verbose_name='所属区域')),
                    ],
                    options={
                        'db_table': 'core_vocabularyentry',
                        'verbose_name': '检索词表条目',
                        'verbose_name_plural': '检索词表',
                        'ordering': ['-created_at', '-pk'],
                        'indexes': [models.Index(fields=['kind', 'active', '-created_at'], name='core_vocabu_kind_068f80_idx')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('active', True)), fields=('kind', 'key'), name='vocabulary_unique_active_key', violation_error_message='已有相同的有效条目'), models.CheckConstraint(condition=models.Q(models.Q(('key', ''), _negated=True), models.Q(('text', ''), _negated=True)), name='vocabulary_not_empty')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="embeddingrun", table=None),
        migrations.AlterModelTable(name="indexrebuild", table=None),
        migrations.AlterModelTable(name="vocabularyentry", table=None),
        migrations.RenameIndex(
            model_name="vocabularyentry",
            new_name="vocabulary_page_order",
            old_name="core_vocabu_kind_068f80_idx",
        ),
        migrations.RunPython(forwards, backwards),
    ]
