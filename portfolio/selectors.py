from django.db.models import QuerySet

from .models import Product


def product_list() -> QuerySet[Product]:
    """Products of the organisation in scope."""
    return Product.objects.select_related("supplier", "owner")


def product_detail(product_id: int) -> Product:
    return product_list().get(pk=product_id)
