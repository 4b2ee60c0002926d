from django.urls import path

from . import views
from .sso import views as sso_views
from .webhooks import views as webhook_views

app_name = "accounts"
urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("sso/jwks.json", sso_views.jwks, name="sso_jwks"),
    path("organisations/", views.organisation_switch, name="organisation_switch"),
    path("invitations/<token:token>/", views.invitation_accept, name="invitation_accept"),
    path("o/<ods:ods_code>/", views.trust_home, name="trust_home"),
    path("o/<ods:ods_code>/members/", views.member_list, name="member_list"),
    path("o/<ods:ods_code>/members/invite/", views.invitation_create, name="invitation_create"),
    path(
        "o/<ods:ods_code>/members/<id:membership_id>/role/", views.member_role, name="member_role"
    ),
    path(
        "o/<ods:ods_code>/members/<id:membership_id>/suspend/",
        views.member_suspend,
        name="member_suspend",
    ),
    path(
        "o/<ods:ods_code>/members/<id:membership_id>/reinstate/",
        views.member_reinstate,
        name="member_reinstate",
    ),
    path(
        "o/<ods:ods_code>/members/<id:membership_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("o/<ods:ods_code>/members/audit/", views.audit_list, name="audit_list"),
    path("o/<ods:ods_code>/security/", views.organisation_security, name="organisation_security"),
    path("o/<ods:ods_code>/api-tokens/", views.api_token_list, name="api_token_list"),
    path(
        "o/<ods:ods_code>/api-tokens/<id:token_id>/revoke/",
        views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("o/<ods:ods_code>/webhooks/", webhook_views.webhook_list, name="webhook_list"),
    path("o/<ods:ods_code>/webhooks/new/", webhook_views.webhook_create, name="webhook_create"),
    path(
        "o/<ods:ods_code>/webhooks/<id:endpoint_id>/",
        webhook_views.webhook_detail,
        name="webhook_detail",
    ),
    path(
        "o/<ods:ods_code>/webhooks/<id:endpoint_id>/test/",
        webhook_views.webhook_test,
        name="webhook_test",
    ),
    path(
        "o/<ods:ods_code>/webhooks/<id:endpoint_id>/turn-off/",
        webhook_views.webhook_disable,
        name="webhook_disable",
    ),
    path(
        "o/<ods:ods_code>/webhooks/<id:endpoint_id>/turn-on/",
        webhook_views.webhook_enable,
        name="webhook_enable",
    ),
    path(
        "o/<ods:ods_code>/webhooks/<id:endpoint_id>/secret/",
        webhook_views.webhook_rotate,
        name="webhook_rotate",
    ),
    path(
        "o/<ods:ods_code>/webhooks/<id:endpoint_id>/delete/",
        webhook_views.webhook_delete,
        name="webhook_delete",
    ),
    path(
        "o/<ods:ods_code>/invitations/<id:invitation_id>/withdraw/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("ics/<ods:ods_code>/", views.ics_home, name="ics_home"),
    path("ics/<ods:ods_code>/api-tokens/", views.ics_api_token_list, name="ics_api_token_list"),
    path(
        "ics/<ods:ods_code>/api-tokens/<id:ics_token_id>/revoke/",
        views.ics_api_token_revoke,
        name="ics_api_token_revoke",
    ),
]
