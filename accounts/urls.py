from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("organisations/", views.organisation_switch, name="organisation_switch"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("o/<str:ods_code>/", views.trust_home, name="trust_home"),
    path("o/<str:ods_code>/members/", views.member_list, name="member_list"),
    path("o/<str:ods_code>/members/invite/", views.invitation_create, name="invitation_create"),
    path(
        "o/<str:ods_code>/members/<int:membership_id>/role/", views.member_role, name="member_role"
    ),
    path(
        "o/<str:ods_code>/invitations/<int:invitation_id>/withdraw/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("ics/<str:ods_code>/", views.ics_home, name="ics_home"),
]
