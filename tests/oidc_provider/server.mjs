// A real OpenID Connect provider for the single sign-on tests (tests/sso_provider.py starts it).
//
// panva/oidc-provider, certified by the OpenID Foundation, configured as NHSmail (Entra ID) and
// NHS CIS2 look to this app: authorisation code flow with PKCE and nonce, a client that
// authenticates with a secret (Entra) and one with private_key_jwt (CIS2), `acr`/`amr` in the ID
// token, and `email_verified` and Entra's `xms_edov` claims. Its sign-in page is a plain form on
// which the test says who signs in, whether the address is verified, and how they authenticated.
//
// Configuration is one JSON document in argv[2]: {port, clients: [...], codeTtl}. It prints
// "listening <issuer>" once ready.
import http from 'node:http';
import crypto from 'node:crypto';
import { URLSearchParams } from 'node:url';

import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${config.port}`;
const accounts = new Map();

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

const provider = new Provider(issuer, {
  clients: config.clients,
  clientAuthMethods: ['client_secret_post', 'client_secret_basic', 'private_key_jwt'],
  enabledJWA: { clientAuthSigningAlgValues: ['RS256', 'RS512', 'PS256', 'ES256'] },
  acrValues: ['AAL1_ANY', 'AAL2_ANY', 'AAL3_ANY', 'AAL2_OR_AAL3_ANY'],
  claims: {
    openid: ['sub', 'amr'], // amr as Entra v1.0 and CIS2 send it: in every ID token
    email: ['email', 'email_verified', 'xms_edov'],
    profile: ['name', 'given_name', 'family_name'],
    acr: null,
  },
  scopes: ['openid', 'email', 'profile', 'offline_access'],
  conformIdTokenClaims: false, // claims of the requested scopes go in the ID token, as Entra's do
  pkce: { required: () => true },
  ttl: {
    AuthorizationCode: config.codeTtl ?? 60,
    AccessToken: 600,
    IdToken: 600,
    Interaction: 600,
    Session: 600,
    Grant: 600,
  },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: account.email,
          email_verified: account.verified,
          xms_edov: account.verified,
          name: account.name,
        };
      },
    };
  },
  // Tests skip the consent screen: every client is the provider's own first-party app.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'email_verified', 'xms_edov', 'name', 'acr', 'amr']);
    await grant.save();
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});

const signInPage = (uid, clientId) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test identity provider: sign in</title></head>
<body><h1>Sign in to ${escape(clientId)}</h1>
<form method="post" action="/interaction/${escape(uid)}">
<label for="email">Email</label> <input id="email" name="email" type="email" required>
<label for="name">Name</label> <input id="name" name="name">
<label><input type="checkbox" name="verified" value="1" checked> Address verified</label>
<label for="acr">Assurance (acr)</label> <input id="acr" name="acr" value="">
<label for="amr">Methods (amr, comma separated)</label> <input id="amr" name="amr" value="pwd">
<button type="submit" id="sign-in">Sign in</button>
</form></body></html>`;

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = signInPage(details.uid, details.params.client_id);
    return undefined;
  }
  const form = await readForm(ctx.req);
  const email = form.email.trim().toLowerCase();
  const sub = `test-${crypto.createHash('sha256').update(email).digest('hex').slice(0, 16)}`;
  accounts.set(sub, { email, name: form.name || email, verified: form.verified === '1' });
  const login = { accountId: sub, amr: form.amr ? form.amr.split(',').map((m) => m.trim()) : [] };
  if (form.acr) login.acr = form.acr;
  await provider.interactionFinished(ctx.req, ctx.res, { login }, { mergeWithLastSubmission: false });
  return undefined;
});

http.createServer(provider.callback()).listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});
