"""Full-text search on PostgreSQL: a generated tsvector of the English text (stemmed) and the
Chinese text as character pairs (`cjk_terms`, indexed as they are), with a GIN index.

SQLite has no such column; search there falls back to substring matching (publishing.search).
"""

from django.db import migrations

SEARCH_VECTOR_SQL = """
ALTER TABLE publishing_publishedpaper ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, title), 'A')
    || setweight(to_tsvector('english'::regconfig, authors_text), 'B')
    || setweight(to_tsvector('english'::regconfig, abstract_en), 'C')
    || setweight(to_tsvector('simple'::regconfig, cjk_terms), 'B')
) STORED;
CREATE INDEX publishing_publishedpaper_search ON publishing_publishedpaper USING GIN (search_vector);
"""

DROP_SQL = """
DROP INDEX IF EXISTS publishing_publishedpaper_search;
ALTER TABLE publishing_publishedpaper DROP COLUMN IF EXISTS search_vector;
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("publishing", "0004_publications")]

    operations = [migrations.RunPython(_on_postgresql(SEARCH_VECTOR_SQL), _on_postgresql(DROP_SQL))]
