"""The project package: settings, URLs, WSGI / ASGI, and what wires the apps and their processes together."""

# The one place the version is written. Shown by `manage.py --version`, the admin's footer,
# `digest_status`, the workers' start line and arXiv's User-Agent. CHANGELOG.md says how a
# release is cut (this loses `.dev0`, its section gets the number and the date).
__version__ = "1.1.0.dev0"
