from django.urls import path

from . import views

app_name = "insights"
urlpatterns = [
    path("o/<ods:ods_code>/dashboard/", views.trust_dashboard, name="trust_dashboard"),
    path(
        "o/<ods:ods_code>/products/<id:product_id>/dashboard/",
        views.product_dashboard,
        name="product_dashboard",
    ),
    path("ics/<ods:ods_code>/dashboard/", views.ics_dashboard, name="ics_dashboard"),
]
