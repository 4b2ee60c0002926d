"""Single sign-on: NHSmail (Microsoft Entra ID) and NHS CIS2 Authentication over OpenID Connect.

django-allauth's generic OpenID Connect provider does the redirect, state and account linking; this
package replaces its provider class (settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]
["provider_class"]) to add what the NHS identity providers need and allauth leaves out:

- a ``nonce`` sent with every request and checked in the ID token, which is always verified
  against the provider's keys (``views.NhsOidcAdapter``);
- ``private_key_jwt`` client authentication, CIS2's recommended method (``keys``);
- ``acr_values`` requested, the returned ``acr`` checked, and the assurance read from ``acr``/
  ``amr`` (``assurance``), so a multi-factor sign-in satisfies the app's two-factor requirement;
- the e-mail address trusted only when the provider says it is verified, by the claim each
  provider uses (``email_verified``; Entra's ``xms_edov``; CIS2's directory addresses).
"""
