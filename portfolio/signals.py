"""What the portfolio announces to the apps above it, which it may not import (DESIGN.md "Layers").

Sent inside the transaction that made the change, so a receiver that starts work must start it on
commit. Arguments: ``organisation_id``, and ``months``: the first days of the months whose figures
changed, or None when any month may have (a product's details, a contract).
"""

from django.dispatch import Signal

portfolio_changed = Signal()
