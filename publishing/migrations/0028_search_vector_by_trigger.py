"""The search vector written by a trigger instead of a generated column (PostgreSQL only).

The values and the GIN index stay as they are (`DROP EXPRESSION` keeps what is stored, so an
upgrade recomputes nothing). A trigger now fills the vector on insert and when a text changes, from
the same expression. Why: a generated column is computed on every insert, COPY included, even when
the vector is already known; with a trigger, a bulk load that already has the vectors (the archive
benchmark's fill, a restore) may skip it (`session_replication_role = replica`), which made the
3,650-day benchmark database take minutes instead of half an hour.
"""

from django.db import migrations

TRIGGER_SQL = r"""
ALTER TABLE publishing_publishedpaper ALTER COLUMN search_vector DROP EXPRESSION;
CREATE FUNCTION digest_paper_search_vector(title text, authors_text text, abstract_en text, title_zh text,
                                           abstract_zh text, reading_md text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('english'::regconfig, title), 'A')
        || setweight(to_tsvector('english'::regconfig, authors_text), 'B')
        || setweight(to_tsvector('english'::regconfig, abstract_en), 'C')
        || setweight(to_tsvector('simple'::regconfig, digest_cjk_pairs(title_zh || ' ' || abstract_zh || ' ' || reading_md)), 'B')
$$;
CREATE FUNCTION digest_publishedpaper_search_vector_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector := digest_paper_search_vector(NEW.title, NEW.authors_text, NEW.abstract_en, NEW.title_zh,
                                                    NEW.abstract_zh, NEW.reading_md);
    RETURN NEW;
END
$$;
CREATE TRIGGER publishing_publishedpaper_search_vector
    BEFORE INSERT OR UPDATE OF title, authors_text, abstract_en, title_zh, abstract_zh, reading_md
    ON publishing_publishedpaper FOR EACH ROW EXECUTE FUNCTION digest_publishedpaper_search_vector_fill();
"""

GENERATED_SQL = r"""
DROP TRIGGER IF EXISTS publishing_publishedpaper_search_vector ON publishing_publishedpaper;
DROP FUNCTION IF EXISTS digest_publishedpaper_search_vector_fill();
DROP FUNCTION IF EXISTS digest_paper_search_vector(text, text, text, text, text, text);
DROP INDEX IF EXISTS publishing_publishedpaper_search;
ALTER TABLE publishing_publishedpaper DROP COLUMN IF EXISTS search_vector;
ALTER TABLE publishing_publishedpaper ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, title), 'A')
    || setweight(to_tsvector('english'::regconfig, authors_text), 'B')
    || setweight(to_tsvector('english'::regconfig, abstract_en), 'C')
    || setweight(to_tsvector('simple'::regconfig, digest_cjk_pairs(title_zh || ' ' || abstract_zh || ' ' || reading_md)), 'B')
) STORED;
CREATE INDEX publishing_publishedpaper_search ON publishing_publishedpaper USING GIN (search_vector);
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("publishing", "0027_memory_confirm_role")]

    operations = [migrations.RunPython(_on_postgresql(TRIGGER_SQL), _on_postgresql(GENERATED_SQL))]
