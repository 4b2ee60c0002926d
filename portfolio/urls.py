from django.urls import path

from . import views

app_name = "portfolio"
urlpatterns = [
    path("o/<ods:ods_code>/products/", views.product_list, name="product_list"),
    path("o/<ods:ods_code>/products/new/", views.product_create, name="product_create"),
    path("o/<ods:ods_code>/products/<id:product_id>/", views.product_detail, name="product_detail"),
    path(
        "o/<ods:ods_code>/products/<id:product_id>/edit/",
        views.product_update,
        name="product_update",
    ),
    path(
        "o/<ods:ods_code>/products/<id:product_id>/archive/",
        views.product_archive,
        name="product_archive",
    ),
    path(
        "o/<ods:ods_code>/products/<id:product_id>/history/",
        views.product_history,
        name="product_history",
    ),
    path(
        "o/<ods:ods_code>/products/<id:product_id>/contracts/new/",
        views.contract_create,
        name="contract_create",
    ),
    path(
        "o/<ods:ods_code>/products/<id:product_id>/contracts/<id:contract_id>/edit/",
        views.contract_update,
        name="contract_update",
    ),
    path("o/<ods:ods_code>/usage/imports/", views.usage_import_create, name="usage_import_create"),
    path(
        "o/<ods:ods_code>/usage/imports/<id:import_id>/",
        views.usage_import_detail,
        name="usage_import_detail",
    ),
    path(
        "o/<ods:ods_code>/usage/template.csv",
        views.usage_import_template,
        name="usage_import_template",
    ),
]
