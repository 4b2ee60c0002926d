"""What feedback announces to the apps above it, which it may not import (DESIGN.md "Layers").

Sent inside the transaction that made the change, so a receiver that starts work must start it on
commit. Arguments: ``organisation_id``, and ``months``: dates in the months whose figures changed.
"""

from django.dispatch import Signal

feedback_changed = Signal()
