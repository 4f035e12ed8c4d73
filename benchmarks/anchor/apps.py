from django.apps import AppConfig


class AnchorConfig(AppConfig):
    name = "benchmarks.anchor"
    label = "anchor"
