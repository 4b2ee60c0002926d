from django.apps import AppConfig

from feedback.sections import register_detail_section


class RoadmapsConfig(AppConfig):
    name = "roadmaps"

    def ready(self):
        from .views import feedback_roadmap_section  # noqa: PLC0415 - views need the app registry

        register_detail_section(feedback_roadmap_section)
