// A real OpenID provider for the SSO tests: the certified npm package `oidc-provider`, on 127.0.0.1.
//
//   node tests/auth/oidc/provider.mjs '<json config>'
//
// Config: {"port", "client_id", "client_secret", "redirect_uri", "acr" (optional, asserted at login),
//          "accounts": {"<login>": {"password", "email", "email_verified", "name"}}}
// Prints "READY <issuer>" on stdout once it listens. The login page is a plain HTML form (login and
// password); consent is granted for the requested scopes without a second page.
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${config.port}`;
const accounts = config.accounts;

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: [config.redirect_uri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  acrValues: config.acr ? [config.acr] : [],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  cookies: { keys: ['skp-test-cookie-key-0123456789abcdef'] },
  features: { devInteractions: { enabled: false } },
  findAccount: async (ctx, id) => (accounts[id] ? {
    accountId: id,
    claims: async () => ({
      sub: id, email: accounts[id].email, email_verified: accounts[id].email_verified, name: accounts[id].name,
    }),
  } : undefined),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});

const page = (uid, message) => `<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Kommunens login</title></head>
<body><h1>Kommunens login (test)</h1>${message ? `<p role="alert">${message}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label for="login">Brugernavn</label> <input id="login" name="login" autocomplete="off">
<label for="password">Adgangskode</label> <input id="password" name="password" type="password">
<button type="submit">Log ind hos kommunen</button></form></body></html>`;

async function form(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return Object.fromEntries(new URLSearchParams(body));
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params } = details;
  if (prompt.name === 'login' && ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = page(details.uid);
    return undefined;
  }
  if (prompt.name === 'login' && ctx.method === 'POST' && match[2]) {
    const { login, password } = await form(ctx.req);
    if (!accounts[login] || accounts[login].password !== password) {
      ctx.type = 'html';
      ctx.body = page(details.uid, 'Forkert brugernavn eller adgangskode.');
      return undefined;
    }
    const result = { login: { accountId: login, ...(config.acr ? { acr: config.acr } : {}) } };
    return provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  }
  if (prompt.name === 'consent') {
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    return provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  ctx.status = 400;
  ctx.body = `unexpected prompt ${prompt.name}`;
  return undefined;
});

const server = provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`READY ${issuer}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
