from django.urls import path

from . import views

urlpatterns = [
    path("f/<str:token>/", views.public_feedback, name="public_feedback"),
    path("f/<str:token>/thanks/", views.public_feedback_thanks, name="public_feedback_thanks"),
    path("o/<str:ods_code>/feedback/", views.feedback_list, name="feedback_list"),
    path("o/<str:ods_code>/feedback/new/", views.feedback_new, name="feedback_new"),
    path("o/<str:ods_code>/feedback/export.csv", views.feedback_export, name="feedback_export"),
    path(
        "o/<str:ods_code>/feedback/<int:feedback_id>/",
        views.feedback_detail,
        name="feedback_detail",
    ),
    path(
        "o/<str:ods_code>/feedback/<int:feedback_id>/vote/",
        views.feedback_vote,
        name="feedback_vote",
    ),
    path(
        "o/<str:ods_code>/feedback/<int:feedback_id>/triage/",
        views.feedback_triage,
        name="feedback_triage",
    ),
    path(
        "o/<str:ods_code>/feedback/<int:feedback_id>/merge/",
        views.feedback_merge,
        name="feedback_merge",
    ),
    path("o/<str:ods_code>/safety/", views.safety_queue, name="safety_queue"),
    path("o/<str:ods_code>/safety/<int:feedback_id>/", views.safety_concern, name="safety_concern"),
    path("o/<str:ods_code>/feedback-links/", views.link_list, name="link_list"),
    path("o/<str:ods_code>/feedback-links/<int:link_id>/", views.link_detail, name="link_detail"),
    path(
        "o/<str:ods_code>/feedback-links/<int:link_id>/toggle/",
        views.link_toggle,
        name="link_toggle",
    ),
]
