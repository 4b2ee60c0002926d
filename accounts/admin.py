from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import (
    AuditEntry,
    IcsMembership,
    IntegratedCareSystem,
    Invitation,
    Membership,
    Organisation,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_superuser"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ()
    list_filter = ["is_active", "is_superuser"]


@admin.register(IntegratedCareSystem)
class IntegratedCareSystemAdmin(admin.ModelAdmin):
    list_display = ["ods_code", "name", "region", "opened_on", "closed_on"]
    list_filter = ["region"]
    search_fields = ["ods_code", "name"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["ods_code", "name", "ics", "ics_overridden", "closed_on", "require_mfa"]
    list_select_related = ["ics"]
    list_filter = ["ics_overridden"]
    search_fields = ["ods_code", "name"]
    autocomplete_fields = ["successor"]

    def save_model(self, request, obj, form, change):
        # ODS links a trust to the ICB by geography, which is wrong for some (an ambulance trust
        # serves several ICBs): an ICS chosen here is kept by later ODS imports. Clearing the
        # box in the same save hands the trust back to ODS.
        if change and "ics" in form.changed_data and "ics_overridden" not in form.changed_data:
            obj.ics_overridden = True
        super().save_model(request, obj, form, change)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "suspended_at"]
    list_select_related = ["user", "organisation"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "organisation"]


@admin.register(IcsMembership)
class IcsMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "ics", "role"]
    list_select_related = ["user", "ics"]
    autocomplete_fields = ["user", "ics"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "created_at", "accepted_at", "revoked_at"]
    list_select_related = ["organisation"]
    readonly_fields = ["organisation"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: the audit log is written by the services alone."""

    list_display = ["created_at", "organisation", "actor_email", "action", "target_email", "detail"]
    list_select_related = ["organisation"]
    list_filter = ["action"]
    search_fields = ["actor_email", "target_email", "organisation__ods_code"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
