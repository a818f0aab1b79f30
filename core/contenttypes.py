"""A migration step for a model that moves to another app with its table: its content type (and so its
permissions and admin log entries) follows it, instead of a new one being made beside the old."""

from __future__ import annotations


def content_types_mover(old_app: str, new_app: str, models: list[str]):
    """A RunPython pair (forward, backward) moving the content types of `models` between the apps."""

    def move(apps, from_app: str, to_app: str) -> None:
        ContentType = apps.get_model("contenttypes", "ContentType")
        for model in models:
            if not ContentType.objects.filter(app_label=to_app, model=model).exists():
                ContentType.objects.filter(app_label=from_app, model=model).update(app_label=to_app)

    def forward(apps, schema_editor):
        move(apps, old_app, new_app)

    def backward(apps, schema_editor):
        move(apps, new_app, old_app)

    return forward, backward
