/**
 * @module The redaction corpus: realistic text that holds a secret (positives), and text that looks like it might
 * but must come out untouched (near-misses). docs/redaction.md explains each near-miss decision.
 */
import { BASE64, BASE64URL, fake, fakeJwt, fakePem, UPPER_ALNUM } from './fake-secrets.js';

export interface Positive {
  /** The rule that must fire. */
  readonly rule: string;
  readonly input: string;
  /** Substrings of `input` that must not survive. */
  readonly secrets: readonly string[];
  /** The exact output, when it is worth pinning (context kept, marker placed). */
  readonly expected?: string;
  /** Takes everything after it too (a private key cut before its END line), so it goes last in a combined text. */
  readonly swallowsRest?: true;
}

export interface NearMiss {
  readonly input: string;
  readonly why: string;
}

const M = (rule: string) => `[REDACTED:${rule}]`;

const gh = {
  ghp: fake('ghp_', 36),
  gho: fake('gho_', 36),
  ghu: fake('ghu_', 36),
  ghs: fake('ghs_', 36),
  ghr: fake('ghr_', 36),
  pat: `${fake('github_pat_', 22)}_${fake('', 59, undefined, 'pat-tail')}`,
};
const slack = {
  bot: `${fake('xoxb-', 12, '0123456789')}-${fake('', 13, '0123456789', 'sb')}-${fake('', 24, undefined, 'sb2')}`,
  user: `${fake('xoxp-', 12, '0123456789')}-${fake('', 12, '0123456789', 'su')}-${fake('', 32, '0123456789abcdef')}`,
  app: `${fake('xapp-1-', 11, UPPER_ALNUM)}-${fake('', 13, '0123456789', 'sa')}-${fake('', 64, '0123456789abcdef')}`,
};
const hook = (kind: string) =>
  `${fake('T', 8, UPPER_ALNUM, kind)}/${fake('B', 10, UPPER_ALNUM, kind)}/${fake('', 24, undefined, kind)}`;
const stripe = {
  skLive: fake('sk_live_', 24),
  rkLive: fake('rk_live_', 24),
  pkTest: fake('pk_test_', 24),
  skTest: fake('sk_test_', 99),
  whsec: fake('whsec_', 32),
};
const anthropic = {
  api: `${fake('sk-ant-api03-', 93, BASE64URL)}AA`,
  admin: `${fake('sk-ant-admin01-', 93, BASE64URL)}AA`,
  short: fake('sk-ant-api03-', 40, BASE64URL, 'short'),
};
const openai = {
  legacy: fake('sk-', 48),
  project: fake('sk-proj-', 156, BASE64URL),
  service: fake('sk-svcacct-', 100, BASE64URL),
  compatible: fake('sk-', 32, '0123456789abcdef'),
};
const aws = {
  id: fake('AKIA', 16, UPPER_ALNUM),
  temp: fake('ASIA', 16, UPPER_ALNUM),
  secret: fake('', 40, BASE64, 'aws1'),
  secret2: fake('', 40, BASE64, 'aws2'),
};
const jwt = {
  access: fakeJwt({ sub: '1234567890', name: 'Jane Doe', iat: 1_764_400_000 }),
  id: fakeJwt({ iss: 'https://accounts.example.com', aud: 'rounds', email_verified: true }, 'id'),
  unsigned: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"42"}').toString('base64url')}.`,
};
const opaque = fake('', 40, undefined, 'opaque');
const basic = Buffer.from('deploy:Tr0ub4dor&3').toString('base64');
const rsa = fakePem('RSA PRIVATE KEY');
const pkcs8 = fakePem('PRIVATE KEY', 3, '\\n');
const openssh = fakePem('OPENSSH PRIVATE KEY', 5);
const encrypted = fakePem('ENCRYPTED PRIVATE KEY', 2);
const pgp = fakePem('PGP PRIVATE KEY BLOCK', 2);
const ec = fakePem('EC PRIVATE KEY', 3);

export const POSITIVES: readonly Positive[] = [
  // private_key
  {
    rule: 'private_key',
    input: `ssl: cannot load key\n${rsa.block}\nfalling back to plain TCP`,
    secrets: rsa.body,
    expected: `ssl: cannot load key\n${M('private_key')}\nfalling back to plain TCP`,
  },
  {
    rule: 'private_key',
    input: `{"type":"service_account","private_key":"${pkcs8.block}\\n","client_id":"1029"}`,
    secrets: pkcs8.body,
    expected: `{"type":"service_account","private_key":"${M('private_key')}\\n","client_id":"1029"}`,
  },
  { rule: 'private_key', input: `deploy key:\n${openssh.block}`, secrets: openssh.body },
  { rule: 'private_key', input: `PKCS#8 parse error in ${encrypted.block}`, secrets: encrypted.body },
  { rule: 'private_key', input: `gpg import failed: ${pgp.block}`, secrets: pgp.body },
  {
    rule: 'private_key',
    // Cut off before END (a clipped message): everything from BEGIN on goes.
    input: `bad key: ${ec.block.slice(0, 120)}…`,
    secrets: [ec.body[0]!.slice(0, 40)],
    expected: `bad key: ${M('private_key')}`,
    swallowsRest: true,
  },

  // jwt
  {
    rule: 'jwt',
    input: `invalid signature for token ${jwt.access}: key k1 not found`,
    secrets: [jwt.access],
    expected: `invalid signature for token ${M('jwt')}: key k1 not found`,
  },
  {
    rule: 'jwt',
    input: `GET /callback?id_token=${jwt.id}&state=af0ifjsldkj`,
    secrets: [jwt.id],
    expected: `GET /callback?id_token=${M('jwt')}&state=af0ifjsldkj`,
  },
  { rule: 'jwt', input: `Set-Cookie: session=${jwt.access}; Path=/; HttpOnly`, secrets: [jwt.access] },
  { rule: 'jwt', input: `alg none rejected: ${jwt.unsigned}`, secrets: [jwt.unsigned.slice(0, -1)] },

  // github_token
  {
    rule: 'github_token',
    input: `HttpError: Bad credentials (token ${gh.ghp})`,
    secrets: [gh.ghp],
    expected: `HttpError: Bad credentials (token ${M('github_token')})`,
  },
  {
    rule: 'github_token',
    input: `git clone https://x-access-token:${gh.ghs}@github.com/acme/orders.git failed`,
    secrets: [gh.ghs],
    expected: `git clone https://x-access-token:${M('github_token')}@github.com/acme/orders.git failed`,
  },
  { rule: 'github_token', input: `{"access_token":"${gh.gho}","token_type":"bearer"}`, secrets: [gh.gho] },
  {
    rule: 'github_token',
    input: `GITHUB_TOKEN=${gh.pat}`,
    secrets: [gh.pat],
    expected: `GITHUB_TOKEN=${M('github_token')}`,
  },
  { rule: 'github_token', input: `user-to-server ${gh.ghu} and refresh ${gh.ghr}`, secrets: [gh.ghu, gh.ghr] },

  // slack_token, slack_webhook
  {
    rule: 'slack_token',
    input: `slack_sdk.errors.SlackApiError: invalid_auth for ${slack.bot}`,
    secrets: [slack.bot],
    expected: `slack_sdk.errors.SlackApiError: invalid_auth for ${M('slack_token')}`,
  },
  { rule: 'slack_token', input: `Authorization: Bearer ${slack.user}`, secrets: [slack.user] },
  { rule: 'slack_token', input: `SLACK_APP_TOKEN=${slack.app}`, secrets: [slack.app] },
  {
    rule: 'slack_webhook',
    input: `POST https://hooks.slack.com/services/${hook('s')} returned 404 no_service`,
    secrets: [hook('s')],
    expected: `POST https://hooks.slack.com/services/${M('slack_webhook')} returned 404 no_service`,
  },
  { rule: 'slack_webhook', input: `webhook=https://hooks.slack.com/workflows/${hook('w')}`, secrets: [hook('w')] },
  { rule: 'slack_webhook', input: `"url": "https://hooks.slack.com/triggers/${hook('t')}"`, secrets: [hook('t')] },

  // stripe_key
  {
    rule: 'stripe_key',
    input: `stripe.error.AuthenticationError: Invalid API Key provided: ${stripe.skLive}`,
    secrets: [stripe.skLive],
    expected: `stripe.error.AuthenticationError: Invalid API Key provided: ${M('stripe_key')}`,
  },
  { rule: 'stripe_key', input: `restricted key ${stripe.rkLive} lacks rak_charge_write`, secrets: [stripe.rkLive] },
  {
    rule: 'stripe_key',
    input: `publishable=${stripe.pkTest} secret=${stripe.skTest}`,
    secrets: [stripe.pkTest, stripe.skTest],
  },
  {
    rule: 'stripe_key',
    input: `No signatures found matching the expected signature for payload (secret ${stripe.whsec})`,
    secrets: [stripe.whsec],
  },

  // anthropic_key
  {
    rule: 'anthropic_key',
    input: `anthropic.AuthenticationError: 401 invalid x-api-key ${anthropic.api}`,
    secrets: [anthropic.api],
    expected: `anthropic.AuthenticationError: 401 invalid x-api-key ${M('anthropic_key')}`,
  },
  {
    rule: 'anthropic_key',
    input: `ANTHROPIC_API_KEY=${anthropic.admin}`,
    secrets: [anthropic.admin],
    expected: `ANTHROPIC_API_KEY=${M('anthropic_key')}`,
  },
  { rule: 'anthropic_key', input: `{"headers":{"x-api-key":"${anthropic.short}"}}`, secrets: [anthropic.short] },

  // openai_key
  {
    rule: 'openai_key',
    input: `openai.AuthenticationError: Incorrect API key provided: ${openai.project}.`,
    secrets: [openai.project],
    expected: `openai.AuthenticationError: Incorrect API key provided: ${M('openai_key')}.`,
  },
  {
    rule: 'openai_key',
    input: `Authorization: Bearer ${openai.legacy}`,
    secrets: [openai.legacy],
    expected: `Authorization: Bearer ${M('openai_key')}`,
  },
  { rule: 'openai_key', input: `OPENAI_API_KEY="${openai.service}"`, secrets: [openai.service] },
  {
    rule: 'openai_key',
    input: `vllm: rejected key ${openai.compatible} for model llama`,
    secrets: [openai.compatible],
  },

  // aws_access_key_id, aws_secret_access_key
  {
    rule: 'aws_access_key_id',
    input: `InvalidClientTokenId: The security token included in the request is invalid (${aws.id})`,
    secrets: [aws.id],
    expected: `InvalidClientTokenId: The security token included in the request is invalid (${M('aws_access_key_id')})`,
  },
  {
    rule: 'aws_access_key_id',
    input: `{"AccessKeyId":"${aws.temp}","Expiration":"2026-11-29T07:00:00Z"}`,
    secrets: [aws.temp],
  },
  { rule: 'aws_access_key_id', input: `Credential=${aws.id}/20261129/us-east-1/s3/aws4_request`, secrets: [aws.id] },
  {
    rule: 'aws_secret_access_key',
    input: `[default]\naws_access_key_id = ${aws.id}\naws_secret_access_key = ${aws.secret}\n`,
    secrets: [aws.id, aws.secret],
    expected: `[default]\naws_access_key_id = ${M('aws_access_key_id')}\naws_secret_access_key = ${M('aws_secret_access_key')}\n`,
  },
  {
    rule: 'aws_secret_access_key',
    input: `{"Credentials":{"SecretAccessKey":"${aws.secret2}","SessionToken":"IQoJ"}}`,
    secrets: [aws.secret2],
  },
  { rule: 'aws_secret_access_key', input: `AWS_SECRET_ACCESS_KEY=${aws.secret}`, secrets: [aws.secret] },
  { rule: 'aws_secret_access_key', input: `new S3({ secretAccessKey: '${aws.secret2}' })`, secrets: [aws.secret2] },

  // url_password
  {
    rule: 'url_password',
    input: 'connection to postgres://orders:S3cr3t!pw@db.internal:5432/orders failed: timeout',
    secrets: ['S3cr3t!pw'],
    expected: `connection to postgres://orders:${M('url_password')}@db.internal:5432/orders failed: timeout`,
  },
  {
    rule: 'url_password',
    input: 'Error connecting to redis://:r3dis-pass@cache:6379/0',
    secrets: ['r3dis-pass'],
    expected: `Error connecting to redis://:${M('url_password')}@cache:6379/0`,
  },
  {
    rule: 'url_password',
    // Not percent-encoded, as people do write them: everything up to the authority's last `@` goes.
    input: 'mongodb+srv://app:p@ss#w0rd@cluster0.example.net/shop?retryWrites=true',
    secrets: ['p@ss#w0rd', 'ss#w0rd'],
    expected: `mongodb+srv://app:${M('url_password')}@cluster0.example.net/shop?retryWrites=true`,
  },
  {
    rule: 'url_password',
    input: 'AMQP_URL=amqps://rabbit:guestPW42@mq.example.com:5671/vhost',
    secrets: ['guestPW42'],
  },
  { rule: 'url_password', input: 'fetch https://admin:hunter2@intranet.example.com/api failed', secrets: ['hunter2'] },

  // authorization_header, bearer_token
  {
    rule: 'authorization_header',
    input: `request headers: Authorization: Basic ${basic}, Accept: */*`,
    secrets: [basic],
    expected: `request headers: Authorization: Basic ${M('authorization_header')}, Accept: */*`,
  },
  {
    rule: 'authorization_header',
    input: `{"headers":{"authorization":"Bearer ${opaque}","accept":"application/json"}}`,
    secrets: [opaque],
    expected: `{"headers":{"authorization":"Bearer ${M('authorization_header')}","accept":"application/json"}}`,
  },
  { rule: 'authorization_header', input: `Proxy-Authorization: Basic ${basic}`, secrets: [basic] },
  { rule: 'authorization_header', input: `authorization=Token ${opaque}`, secrets: [opaque] },
  {
    rule: 'authorization_header',
    input: 'Authorization: Digest username="bob", realm="api", nonce="dcd98b71", response="6629fae49393a053"',
    secrets: ['6629fae49393a053', 'dcd98b71'],
  },
  { rule: 'authorization_header', input: `authorization: ${opaque}`, secrets: [opaque] },
  {
    rule: 'bearer_token',
    input: `401 from upstream when calling with Bearer ya29.${opaque}; refreshing`,
    secrets: [`ya29.${opaque}`],
    expected: `401 from upstream when calling with Bearer ${M('bearer_token')}; refreshing`,
  },
  { rule: 'bearer_token', input: `curl -H "X-Forwarded-Auth: Bearer ${opaque}"`, secrets: [opaque] },
  { rule: 'bearer_token', input: 'token rejected: bearer 4f9c2e7a1b3d5f60', secrets: ['4f9c2e7a1b3d5f60'] },

  // connection_string_password
  {
    rule: 'connection_string_password',
    input:
      'SqlException: Login failed. Server=tcp:db.example.net,1433;User ID=app;Password=correct horse 9;Encrypt=True',
    secrets: ['correct horse 9'],
    expected: `SqlException: Login failed. Server=tcp:db.example.net,1433;User ID=app;Password=${M('connection_string_password')};Encrypt=True`,
  },
  {
    rule: 'connection_string_password',
    input: 'Driver={ODBC Driver 18};Server=db;UID=sa;PWD={p;a ss};Database=x',
    secrets: ['p;a ss'],
    expected: `Driver={ODBC Driver 18};Server=db;UID=sa;PWD=${M('connection_string_password')};Database=x`,
  },
  {
    rule: 'connection_string_password',
    input: 'jdbc:sqlserver://db:1433;databaseName=orders;user=app;password=Zx9!qq;',
    secrets: ['Zx9!qq'],
  },
  { rule: 'connection_string_password', input: 'Server=db; Password="a;b c";Timeout=5', secrets: ['a;b c'] },

  // secret_assignment
  {
    rule: 'secret_assignment',
    input: 'psycopg2.OperationalError: host=db user=orders password=hunter2 dbname=orders',
    secrets: ['hunter2'],
    expected: `psycopg2.OperationalError: host=db user=orders password=${M('secret_assignment')} dbname=orders`,
  },
  {
    rule: 'secret_assignment',
    input: '{"username":"bob","password":"correct horse battery staple"}',
    secrets: ['correct horse battery staple'],
    expected: `{"username":"bob","password":"${M('secret_assignment')}"}`,
  },
  {
    rule: 'secret_assignment',
    input: 'log: "{\\"user\\":\\"bob\\",\\"client_secret\\":\\"q8Xz-771\\"}"',
    secrets: ['q8Xz-771'],
    expected: `log: "{\\"user\\":\\"bob\\",\\"client_secret\\":\\"${M('secret_assignment')}\\"}"`,
  },
  {
    rule: 'secret_assignment',
    input: 'GET /v1/forecast?city=Paris&api_key=9f8e7d6c5b4a&units=metric',
    secrets: ['9f8e7d6c5b4a'],
    expected: `GET /v1/forecast?city=Paris&api_key=${M('secret_assignment')}&units=metric`,
  },
  { rule: 'secret_assignment', input: 'spring.datasource.password=Sup3rS3cret', secrets: ['Sup3rS3cret'] },
  {
    rule: 'secret_assignment',
    input: 'x-api-key: 5d41402abc4b2a76b9719d911017c592',
    secrets: ['5d41402abc4b2a76b9719d911017c592'],
  },
  { rule: 'secret_assignment', input: "DB_PASSWORD='hunter2'", secrets: ['hunter2'] },
  { rule: 'secret_assignment', input: "SELECT * FROM users WHERE password = 'letmein'", secrets: ['letmein'] },
  { rule: 'secret_assignment', input: 'session_token => "abc123def456"', secrets: ['abc123def456'] },
  { rule: 'secret_assignment', input: 'client_secret: 7Ab_Q2-zz', secrets: ['7Ab_Q2-zz'] },
  { rule: 'secret_assignment', input: 'password: correcthorsebatterystaple', secrets: ['correcthorsebatterystaple'] },
  { rule: 'secret_assignment', input: 'JWT_SECRET_KEY="rounds-dev"', secrets: ['rounds-dev'] },
  {
    rule: 'secret_assignment',
    input: `SECRET_KEY_BASE=${fake('', 128, '0123456789abcdef', 'rails')} rails s`,
    secrets: [fake('', 128, '0123456789abcdef', 'rails')],
    expected: `SECRET_KEY_BASE=${M('secret_assignment')} rails s`,
  },

  // email
  {
    rule: 'email',
    input: 'IntegrityError: duplicate key value violates unique constraint "users_email_key": jane.doe@example.com',
    secrets: ['jane.doe@example.com'],
    expected: `IntegrityError: duplicate key value violates unique constraint "users_email_key": ${M('email')}`,
  },
  {
    rule: 'email',
    input: 'SMTP 550 rejected recipient <Ops+Alerts@Mail.Example.co.uk>',
    secrets: ['Ops+Alerts@Mail.Example.co.uk'],
    expected: `SMTP 550 rejected recipient <${M('email')}>`,
  },
  { rule: 'email', input: 'mailto:billing@acme-corp.io?subject=refund', secrets: ['billing@acme-corp.io'] },
  {
    rule: 'email',
    input: '{"user":{"id":42,"email":"x_y-z@sub.domain.example"}}',
    secrets: ['x_y-z@sub.domain.example'],
  },
];

const hex = (n: number, seed: string) => fake('', n, '0123456789abcdef', seed);
const cert = fakePem('CERTIFICATE', 2).block;
const publicKey = fakePem('PUBLIC KEY', 2).block;

export const NEAR_MISSES: readonly NearMiss[] = [
  // Identifiers: hex and ids are everywhere in telemetry and are what a diagnosis correlates on.
  { input: 'order 550e8400-e29b-41d4-a716-446655440000 not found', why: 'UUID' },
  { input: `fixed in commit ${hex(40, 'sha')} (short ${hex(7, 'short')})`, why: 'git SHAs' },
  { input: `trace_id=${hex(32, 'trace')} span_id=${hex(16, 'span')}`, why: 'trace and span ids' },
  { input: `traceparent: 00-${hex(32, 'tp')}-${hex(16, 'tp2')}-01`, why: 'W3C traceparent header' },
  { input: `sig_0123456789abcdef fingerprint ${hex(64, 'fp')}`, why: 'signature id and fingerprint' },
  { input: `etag "${fake('', 40, BASE64, 'etag')}"`, why: '40 base64 characters without an AWS key name' },
  { input: 'AKIAFOO is not long enough; ASIA is a continent', why: 'AWS prefixes without a key id' },
  // `sk-`, `gh*_`, `xox*` inside ordinary words and short values.
  { input: 'task-list disk-full risk-assessment desk-booking', why: 'sk- inside words' },
  { input: 'import sk-learn-compatible-estimator-configuration', why: 'sk- then hyphenated words' },
  { input: 'sk-1234 is a ticket number', why: 'sk- with a short value' },
  { input: 'ghp_cache miss; github_pat_rotation job started', why: 'GitHub prefixes on identifiers' },
  { input: 'xoxb-token missing', why: 'Slack prefix with a short value' },
  { input: 'keys start with sk_live_ or pk_test_', why: 'Stripe prefixes alone' },
  // Base64 and dotted things that are not JWTs.
  { input: 'payload eyJ1c2VyIjoiYm9iIiwicm9sZSI6ImFkbWluIn0= rejected', why: 'base64 JSON, one part' },
  { input: 'header eyJhbGciOiJIUzI1NiJ9.e30 incomplete', why: 'two parts: not a JWT' },
  { input: 'SGVsbG8sIFdvcmxkIQ== decoded as text', why: 'plain base64' },
  // Addresses that are not email addresses.
  { input: 'ssh user@localhost and root@db-1 and postgres@10.0.0.5', why: 'no dotted domain with a TLD' },
  { input: 'remote git@github.com:acme/orders.git rejected', why: 'SSH remote' },
  {
    input: 'clone https://deploy@github.com/acme/orders.git or ssh://git@github.com/acme/orders.git',
    why: 'URL user, no password',
  },
  { input: 'missing asset logo@2x.png and icon@3x.webp', why: 'asset scale suffix' },
  { input: 'com.example.OrderService$Handler@6d06d69c threw', why: 'Java object hash' },
  { input: 'image images.example.com/orders@sha256:' + hex(64, 'digest'), why: 'image digest' },
  { input: 'npm: lodash@4.17.21 @babel/core@7.24.0 golang.org/x/net@v0.17.0', why: 'package versions' },
  { input: '@app.route("/login") def login(): ...', why: 'decorator' },
  // URLs with a port, no credentials.
  { input: 'GET http://localhost:8080/health and https://api.example.com:443/v1/users?page=2', why: 'host:port' },
  { input: 'dial tcp [::1]:5432: connect: connection refused', why: 'IPv6 host' },
  // Identifiers and words around secrets.
  { input: 'password_reset_required: true; passwordless login enabled', why: 'identifiers containing password' },
  {
    input: 'max_tokens=4096 input_tokens=1200 output_tokens=300 token_count: 3 tokenizer=cl100k_base',
    why: 'token counts',
  },
  { input: 'secret: not found', why: 'a word after secret:' },
  { input: 'failed to read secret: DATABASE_URL', why: 'a variable name after secret:' },
  { input: 'invalid_token: The access token expired', why: 'OAuth error code' },
  { input: 'Authorization failed for user 42; authorization: denied', why: 'authorization as a word' },
  { input: 'Bearer token expired; bearer authentication-required', why: 'bearer as a word' },
  { input: 'Basic auth is disabled for this realm', why: 'Basic without a header' },
  { input: 'PWD=/home/app OLDPWD=/', why: 'the shell variable PWD' },
  { input: 'Server=db;Database=orders;Integrated Security=true', why: 'connection string without password' },
  // Code and SQL: placeholders and comparisons, not values.
  { input: 'SELECT id FROM users WHERE email = ? AND password = ?', why: 'positional placeholder' },
  { input: 'UPDATE users SET password = $1 WHERE id = $2', why: 'numbered placeholder' },
  {
    input: 'WHERE password = :password OR password = @p1 OR password=%s OR password = %(password)s',
    why: 'named placeholders',
  },
  { input: 'password=${DB_PASSWORD} token={token} api_key=$API_KEY', why: 'template references' },
  { input: 'password=**** token=[FILTERED] "secret": null', why: 'already masked or empty' },
  { input: 'if user.password == hashed: return; if (password === confirm) ok()', why: 'comparisons' },
  { input: '    if not password: raise ValueError("password required")', why: 'source line' },
  { input: 'def check(password: str, token: Optional[str]) -> bool', why: 'type annotations' },
  // Paths, frames, versions.
  { input: '/var/run/secrets/kubernetes.io/serviceaccount/token: permission denied', why: 'path naming a token' },
  { input: String.raw`C:\Users\app\secret_store\config.json not found`, why: 'Windows path' },
  { input: '  File "/srv/app/auth/password.py", line 42, in check_password', why: 'Python frame' },
  { input: '\tat com.example.auth.TokenService.validate(TokenService.java:88)', why: 'Java frame' },
  { input: '    at verifyToken (/app/src/auth/jwt.ts:17:9)', why: 'Node frame' },
  { input: 'main.(*Server).handleLogin(0xc000123456, 0x1f)', why: 'Go frame' },
  { input: 'orders 1.4.2 -> v2.0.0-rc.1+build.5 on node v20.18.0', why: 'versions' },
  // Public halves of key pairs.
  { input: `trust store:\n${cert}`, why: 'certificate' },
  { input: `verify with\n${publicKey}`, why: 'public key' },
];
