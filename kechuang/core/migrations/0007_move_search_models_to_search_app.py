"""The vocabulary, index-rebuild and embedding-run models now belong to the search app
(``search.0001_move_from_core`` took over their tables and rows): they leave core's state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_full_width_labels"),
        ("search", "0001_move_from_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="EmbeddingRun"),
                migrations.RemoveField(model_name="vocabularyentry", name="created_by"),
                migrations.RemoveField(model_name="vocabularyentry", name="deactivated_by"),
                migrations.RemoveField(model_name="vocabularyentry", name="region"),
                migrations.DeleteModel(name="IndexRebuild"),
                migrations.DeleteModel(name="VocabularyEntry"),
            ],
            database_operations=[],
        )
    ]
