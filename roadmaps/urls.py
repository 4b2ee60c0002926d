from django.urls import path

from . import views

urlpatterns = [
    path("r/<str:token>/", views.public_item, name="roadmap_public_item"),
    path("o/<str:ods_code>/roadmap/", views.board, name="roadmap_board"),
    path("o/<str:ods_code>/roadmap/timeline/", views.timeline, name="roadmap_timeline"),
    path("o/<str:ods_code>/roadmap/priorities/", views.priorities, name="roadmap_priorities"),
    path("o/<str:ods_code>/roadmap/new/", views.item_create, name="roadmap_item_create"),
    path("o/<str:ods_code>/roadmap/<int:item_id>/", views.item_detail, name="roadmap_item"),
    path("o/<str:ods_code>/roadmap/<int:item_id>/edit/", views.item_edit, name="roadmap_item_edit"),
    path("o/<str:ods_code>/roadmap/<int:item_id>/move/", views.item_move, name="roadmap_item_move"),
    path(
        "o/<str:ods_code>/roadmap/<int:item_id>/status/",
        views.item_status,
        name="roadmap_item_status",
    ),
    path(
        "o/<str:ods_code>/roadmap/<int:item_id>/evidence/",
        views.evidence_add,
        name="roadmap_evidence_add",
    ),
    path(
        "o/<str:ods_code>/roadmap/<int:item_id>/evidence/<int:feedback_id>/remove/",
        views.evidence_remove,
        name="roadmap_evidence_remove",
    ),
    path(
        "o/<str:ods_code>/products/<int:product_id>/roadmap/",
        views.product_board,
        name="roadmap_product_board",
    ),
    path(
        "o/<str:ods_code>/feedback/<int:feedback_id>/roadmap/",
        views.link_from_feedback,
        name="feedback_link_roadmap",
    ),
    path("ics/<str:ods_code>/roadmaps/", views.ics_roadmaps, name="ics_roadmaps"),
]
