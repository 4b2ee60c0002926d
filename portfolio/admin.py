from django.contrib import admin

from .models import Product, Supplier


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "capability", "lifecycle_stage"]
    list_select_related = ["organisation"]
    list_filter = ["capability", "lifecycle_stage"]
    search_fields = ["name"]
