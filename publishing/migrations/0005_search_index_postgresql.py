"""Full-text search on PostgreSQL: a generated tsvector of the English text (stemmed) and the
Chinese text as overlapping character pairs, with a GIN index.

Chinese has no spaces, so PostgreSQL's parsers would see a whole sentence as one word;
`digest_cjk_pairs` turns every run of Chinese characters into its pairs ("声码器" →
"声码 码器"), for the stored vector and for queries alike. SQLite has no such column;
search there falls back to substring matching (publishing.search).
"""

from django.db import migrations

SEARCH_VECTOR_SQL = r"""
CREATE FUNCTION digest_cjk_pairs(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(substr(m[1], i, 2), ' '), '')
    FROM regexp_matches(t, '[\u3400-\u9fff\uf900-\ufaff]{2,}', 'g') AS m,
         generate_series(1, char_length(m[1]) - 1) AS i
$$;
ALTER TABLE publishing_publishedpaper ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, title), 'A')
    || setweight(to_tsvector('english'::regconfig, authors_text), 'B')
    || setweight(to_tsvector('english'::regconfig, abstract_en), 'C')
    || setweight(to_tsvector('simple'::regconfig, digest_cjk_pairs(title_zh || ' ' || abstract_zh || ' ' || reading_md)), 'B')
) STORED;
CREATE INDEX publishing_publishedpaper_search ON publishing_publishedpaper USING GIN (search_vector);
"""

DROP_SQL = """
DROP INDEX IF EXISTS publishing_publishedpaper_search;
ALTER TABLE publishing_publishedpaper DROP COLUMN IF EXISTS search_vector;
DROP FUNCTION IF EXISTS digest_cjk_pairs(text);
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("publishing", "0004_publications")]

    operations = [migrations.RunPython(_on_postgresql(SEARCH_VECTOR_SQL), _on_postgresql(DROP_SQL))]
