from django.db import transaction

from .models import Product


@transaction.atomic
def create_product(*, organisation, data: dict) -> Product:
    return Product.unscoped.create(organisation=organisation, **data)
