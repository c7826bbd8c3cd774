"""The published archive as files: every public page that only changes when a day is published, unpublished
or corrected is rendered by its own view once, after the change commits, and written to
DIGEST_STATIC_ARCHIVE_DIR with a gzip copy beside it (and Brotli when the `brotli` module is installed), so a
web server sends the bytes as they are.

- `pages.py`   which URLs a change of a day touches, and where each URL's file lives;
- `rendering.py` a page's bytes, from the site's own request handler (middleware, URL resolver, view);
- `files.py`   atomic writes and removals, compressed copies, the writers' lock;
- `services.py` the syncs (one day's change, days whose date came, the whole archive) and their failures;
- `serving.py` the middleware that serves the files when no proxy does.
"""
