from django.urls import path

from . import views

urlpatterns = [
    path("o/<str:ods_code>/products/", views.product_list, name="product_list"),
    path("o/<str:ods_code>/products/new/", views.product_create, name="product_create"),
    path(
        "o/<str:ods_code>/products/<int:product_id>/", views.product_detail, name="product_detail"
    ),
]
