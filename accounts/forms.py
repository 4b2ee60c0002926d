import re

from allauth.account import forms as account_forms
from allauth.mfa.base import forms as mfa_forms
from allauth.mfa.recovery_codes import forms as recovery_code_forms
from allauth.mfa.totp import forms as totp_forms
from django import forms

from core.forms import NHSForm, NHSFormMixin

from .permissions import Role
from .selectors import organisation_list_sso_only


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


API_TOKEN_LIFETIMES = [("30", "30 days"), ("90", "90 days"), ("180", "180 days"), ("365", "1 year")]


class IcsApiTokenForm(NHSForm):
    """An ICS read token: a name and how long it lasts (it only ever reads the ICS's roll-ups)."""

    name = forms.CharField(
        label="Name",
        help_text="What uses it, so you can tell tokens apart, like EPR audit log nightly load",
        max_length=100,
        error_messages={
            "required": "Enter a name for the token",
            "max_length": "Name must be 100 characters or fewer",
        },
    )
    lifetime = forms.ChoiceField(
        label="Expires after",
        choices=API_TOKEN_LIFETIMES,
        initial="90",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select when the token expires",
            "invalid_choice": "Select when the token expires from the list",
        },
    )


class ApiTokenForm(IcsApiTokenForm):
    """A trust's token: also the role it acts with, and whether it may only read."""

    role = forms.ChoiceField(
        label="What it may do",
        help_text="The token acts with this role's permissions in this organisation.",
        choices=Role.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select what the token may do",
            "invalid_choice": "Select a role from the list",
        },
    )
    read_only = forms.BooleanField(label="Read only: it cannot change anything", required=False)

    field_order = ["name", "role", "read_only", "lifetime"]


SHARED_DOMAINS = {"nhs.net", "nhs.uk", "gmail.com", "outlook.com", "hotmail.com", "yahoo.com"}
DOMAIN_PATTERN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class SecurityForm(NHSForm):
    require_mfa = forms.BooleanField(
        label="Ask every member to set up two-factor authentication",
        help_text=(
            "Members without it are asked to set it up the next time they open this "
            "organisation's pages. A single sign-on that used more than one factor counts."
        ),
        required=False,
    )
    sso_only = forms.BooleanField(
        label="Members sign in through single sign-on only",
        help_text=(
            "Password sign-in stops for everyone who is a member of this organisation. They sign "
            "in with NHSmail or NHS Care Identity instead."
        ),
        required=False,
    )
    sso_join_domains = forms.CharField(
        label="Let people join as viewers through single sign-on (optional)",
        help_text=(
            "Anyone who signs in through single sign-on with a verified email address at one of "
            "these domains joins this organisation as a viewer. Separate domains with spaces, "
            "like example.nhs.uk"
        ),
        required=False,
        max_length=500,
        error_messages={"max_length": "Domains must be 500 characters or fewer"},
    )

    def __init__(self, *args, sso_providers=(), sso_signed_in=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.sso_providers = list(sso_providers)
        self.sso_signed_in = sso_signed_in

    def clean_sso_only(self):
        sso_only = self.cleaned_data["sso_only"]
        if sso_only and not self.sso_providers:
            raise forms.ValidationError(
                "Single sign-on is not set up for this service yet, so members could not sign in"
            )
        if sso_only and not self.sso_signed_in and not self.initial.get("sso_only"):
            raise forms.ValidationError(
                "Sign in through single sign-on yourself before you turn off password sign-in, "
                "so you know it works for you"
            )
        return sso_only

    def clean_sso_join_domains(self):
        domains = []
        for raw in re.split(r"[\s,;]+", self.cleaned_data["sso_join_domains"].lower()):
            domain = raw.strip().lstrip("@")
            if not domain:
                continue
            if not DOMAIN_PATTERN.match(domain):
                raise forms.ValidationError(
                    f"Enter domains like example.nhs.uk ('{domain[:60]}' is not a domain)"
                )
            if domain in SHARED_DOMAINS:
                raise forms.ValidationError(
                    f"{domain} is shared by people outside your organisation, so anyone with it "
                    "could join. Enter your organisation's own domain, like example.nhs.uk"
                )
            if domain not in domains:
                domains.append(domain)
        if domains and not self.sso_providers:
            raise forms.ValidationError(
                "Single sign-on is not set up for this service yet, so nobody could join this way"
            )
        return " ".join(domains)


# --- Sign-in, password and two-factor pages (django-allauth) ------------------------------------
# allauth's own forms, with the rules and wording of every other form here. settings.ACCOUNT_FORMS
# and settings.MFA_FORMS name them.


class LoginForm(NHSFormMixin, account_forms.LoginForm):
    """A member of a trust that asks for single sign-on only cannot sign in with a password."""

    def clean(self):
        cleaned_data = super().clean()
        user = getattr(self, "user", None)
        if user is not None:
            trusts = organisation_list_sso_only(user)
            if trusts:
                raise forms.ValidationError(
                    f"{trusts[0].name} asks its members to sign in with NHSmail or NHS Care "
                    "Identity. Use the button for it below instead of a password.",
                    code="sso_only",
                )
        return cleaned_data


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
