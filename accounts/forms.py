from django import forms

from .permissions import Role


class InviteForm(forms.Form):
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


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select a role",
            "invalid_choice": "Select a role from the list",
        },
    )


class OrganisationSwitchForm(forms.Form):
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


class SecurityForm(forms.Form):
    require_mfa = forms.BooleanField(
        label="Ask every member to set up two-factor authentication",
        help_text=(
            "Members without it are asked to set it up the next time they open this "
            "organisation's pages."
        ),
        required=False,
    )
