from django.urls import path

from .views import links, public, safety, triage

app_name = "feedback"
urlpatterns = [
    path("f/<token:token>/", public.public_form, name="public_form"),
    path("f/<token:token>/thanks/", public.public_thanks, name="public_thanks"),
    path("f/confirm-email/<token:token>/", public.contact_confirm, name="contact_confirm"),
    path("o/<ods:ods_code>/feedback/", triage.feedback_list, name="feedback_list"),
    path("o/<ods:ods_code>/feedback/new/", triage.feedback_create, name="feedback_create"),
    path("o/<ods:ods_code>/feedback/export.csv", triage.feedback_export, name="feedback_export"),
    path(
        "o/<ods:ods_code>/feedback/<id:feedback_id>/",
        triage.feedback_detail,
        name="feedback_detail",
    ),
    path(
        "o/<ods:ods_code>/feedback/<id:feedback_id>/vote/",
        triage.feedback_vote,
        name="feedback_vote",
    ),
    path(
        "o/<ods:ods_code>/feedback/<id:feedback_id>/triage/",
        triage.feedback_triage,
        name="feedback_triage",
    ),
    path(
        "o/<ods:ods_code>/feedback/<id:feedback_id>/merge/",
        triage.feedback_merge,
        name="feedback_merge",
    ),
    path("o/<ods:ods_code>/safety/", safety.safety_concern_list, name="safety_concern_list"),
    path(
        "o/<ods:ods_code>/safety/<id:feedback_id>/",
        safety.safety_concern_detail,
        name="safety_concern_detail",
    ),
    path("o/<ods:ods_code>/feedback-links/", links.link_list, name="link_list"),
    path("o/<ods:ods_code>/feedback-links/<id:link_id>/", links.link_detail, name="link_detail"),
    path(
        "o/<ods:ods_code>/feedback-links/<id:link_id>/toggle/",
        links.link_toggle,
        name="link_toggle",
    ),
]
