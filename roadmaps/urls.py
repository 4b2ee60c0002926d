from django.urls import path

from . import views

app_name = "roadmaps"
urlpatterns = [
    path("r/<token:token>/", views.item_public, name="item_public"),
    path("o/<ods:ods_code>/roadmap/", views.board, name="board"),
    path("o/<ods:ods_code>/roadmap/timeline/", views.timeline, name="timeline"),
    path("o/<ods:ods_code>/roadmap/priorities/", views.priorities, name="priorities"),
    path("o/<ods:ods_code>/roadmap/new/", views.item_create, name="item_create"),
    path("o/<ods:ods_code>/roadmap/<id:item_id>/", views.item_detail, name="item_detail"),
    path("o/<ods:ods_code>/roadmap/<id:item_id>/edit/", views.item_update, name="item_update"),
    path("o/<ods:ods_code>/roadmap/<id:item_id>/move/", views.item_move, name="item_move"),
    path("o/<ods:ods_code>/roadmap/<id:item_id>/status/", views.item_status, name="item_status"),
    path(
        "o/<ods:ods_code>/roadmap/<id:item_id>/evidence/",
        views.evidence_add,
        name="evidence_add",
    ),
    path(
        "o/<ods:ods_code>/roadmap/<id:item_id>/evidence/<id:feedback_id>/remove/",
        views.evidence_remove,
        name="evidence_remove",
    ),
    path(
        "o/<ods:ods_code>/products/<id:product_id>/roadmap/",
        views.product_board,
        name="product_board",
    ),
    path(
        "o/<ods:ods_code>/feedback/<id:feedback_id>/roadmap/",
        views.evidence_add_from_feedback,
        name="evidence_add_from_feedback",
    ),
    path("ics/<ods:ods_code>/roadmaps/", views.ics_shared, name="ics_shared"),
]
