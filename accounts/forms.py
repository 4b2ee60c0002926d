from allauth.account import forms as account_forms
from allauth.mfa.base import forms as mfa_forms
from allauth.mfa.recovery_codes import forms as recovery_code_forms
from allauth.mfa.totp import forms as totp_forms
from django import forms

from core.forms import NHSForm, NHSFormMixin

from .permissions import Role


class InviteForm(NHSForm):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter the email address of the person you want to invite",
            "invalid": "Enter an email address in the correct format, like name@nhs.net",
        },
    )
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select a role",
            "invalid_choice": "Select a role from the list",
        },
    )


class RoleForm(NHSForm):
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select a role",
            "invalid_choice": "Select a role from the list",
        },
    )


class OrganisationSwitchForm(NHSForm):
    organisation = forms.ChoiceField(
        label="Which organisation do you want to work in?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select an organisation",
            "invalid_choice": "Select one of your organisations",
        },
    )

    def __init__(self, *args, memberships, ics_memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (f"o:{m.organisation.ods_code}", f"{m.organisation.name} ({m.get_role_display()})")
            for m in memberships
        ]
        choices += [
            (f"ics:{m.ics.ods_code}", f"{m.ics.name} ({m.get_role_display()})")
            for m in ics_memberships
        ]
        self.fields["organisation"].choices = choices


class SecurityForm(NHSForm):
    require_mfa = forms.BooleanField(
        label="Ask every member to set up two-factor authentication",
        help_text=(
            "Members without it are asked to set it up the next time they open this "
            "organisation's pages."
        ),
        required=False,
    )


# --- Sign-in, password and two-factor pages (django-allauth) ------------------------------------
# allauth's own forms, with the rules and wording of every other form here. settings.ACCOUNT_FORMS
# and settings.MFA_FORMS name them.


class LoginForm(NHSFormMixin, account_forms.LoginForm):
    pass


class SignupForm(NHSFormMixin, account_forms.SignupForm):
    pass


class AddEmailForm(NHSFormMixin, account_forms.AddEmailForm):
    pass


class ChangePasswordForm(NHSFormMixin, account_forms.ChangePasswordForm):
    pass


class SetPasswordForm(NHSFormMixin, account_forms.SetPasswordForm):
    pass


class ResetPasswordForm(NHSFormMixin, account_forms.ResetPasswordForm):
    pass


class ResetPasswordKeyForm(NHSFormMixin, account_forms.ResetPasswordKeyForm):
    pass


class ReauthenticateForm(NHSFormMixin, account_forms.ReauthenticateForm):
    pass


class MfaAuthenticateForm(NHSFormMixin, mfa_forms.AuthenticateForm):
    pass


class MfaReauthenticateForm(NHSFormMixin, mfa_forms.ReauthenticateForm):
    pass


class ActivateTOTPForm(NHSFormMixin, totp_forms.ActivateTOTPForm):
    pass


class DeactivateTOTPForm(NHSFormMixin, totp_forms.DeactivateTOTPForm):
    pass


class GenerateRecoveryCodesForm(NHSFormMixin, recovery_code_forms.GenerateRecoveryCodesForm):
    pass
