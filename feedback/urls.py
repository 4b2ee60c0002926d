from django.urls import path

from .views import links, public, safety, triage

app_name = "feedback"
urlpatterns = [
    path("f/<str:token>/", public.public_form, name="public_form"),
    path("f/<str:token>/thanks/", public.public_thanks, name="public_thanks"),
    path("o/<str:ods_code>/feedback/", triage.feedback_list, name="feedback_list"),
    path("o/<str:ods_code>/feedback/new/", triage.feedback_create, name="feedback_create"),
    path("o/<str:ods_code>/feedback/export.csv", triage.feedback_export, name="feedback_export"),
    path(
        "o/<str:ods_code>/feedback/<int:feedback_id>/",
        triage.feedback_detail,
        name="feedback_detail",
    ),
    path(
        "o/<str:ods_code>/feedback/<int:feedback_id>/vote/",
        triage.feedback_vote,
        name="feedback_vote",
    ),
    path(
        "o/<str:ods_code>/feedback/<int:feedback_id>/triage/",
        triage.feedback_triage,
        name="feedback_triage",
    ),
    path(
        "o/<str:ods_code>/feedback/<int:feedback_id>/merge/",
        triage.feedback_merge,
        name="feedback_merge",
    ),
    path("o/<str:ods_code>/safety/", safety.safety_concern_list, name="safety_concern_list"),
    path(
        "o/<str:ods_code>/safety/<int:feedback_id>/",
        safety.safety_concern_detail,
        name="safety_concern_detail",
    ),
    path("o/<str:ods_code>/feedback-links/", links.link_list, name="link_list"),
    path("o/<str:ods_code>/feedback-links/<int:link_id>/", links.link_detail, name="link_detail"),
    path(
        "o/<str:ods_code>/feedback-links/<int:link_id>/toggle/",
        links.link_toggle,
        name="link_toggle",
    ),
]
