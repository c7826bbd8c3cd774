from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo's data (this folder's files) and `demo_setup`, which runs the whole newsroom on them:
    at the top of the stack with the public site, since it uses every app; nothing imports it."""

    name = "demo"
    verbose_name = "Demo"
