/**
 * @module The built-in redaction rules, most specific first: a provider's token is named as such before a generic
 * `token=` rule sees it. docs/redaction.md lists what each rule takes and which look-alikes it leaves alone.
 *
 * Every quantifier is bounded and every rule starts at a literal or behind a look-behind, so a rule costs at most
 * (input length x its longest match): no input can make redaction backtrack catastrophically.
 */
import { isPlaceholder, looksLikeProse } from './placeholders.js';
import { NOT_A_MARKER, type RedactionRule } from './rule.js';

function rule(name: string, source: string, options: { ignoreCase?: boolean; keep?: RedactionRule['keep'] } = {}) {
  const pattern = new RegExp(source, options.ignoreCase ? 'gdi' : 'gd');
  return options.keep === undefined ? { name, pattern } : { name, pattern, keep: options.keep };
}

/** A key name and its separator, quoted or not: `password=`, `"token": `, `\"secret\":` (JSON inside a string). */
const SEPARATOR = String.raw`\\?["']?\s{0,3}(?<sep>=>|:=|[:=](?!=))\s{0,3}`;
/** Characters of an unquoted value: it ends at whitespace, a quote, or what separates fields and wraps values. */
const BARE = String.raw`[^\s"'\x60,;&<>()\[\]]`;
/** A value: the inside of its quotes when quoted (an escaped quote ends it only in JSON-inside-a-string), else bare. */
const VALUE = [
  String.raw`(?<=\\")(?:[^"\\\r\n]|\\(?!")){1,4096}`,
  String.raw`(?<=(?<!\\)")(?:[^"\\\r\n]|\\[^\r\n]){1,4096}`,
  String.raw`(?<=')(?:[^'\\\r\n]|\\[^\r\n]){1,4096}`,
  String.raw`(?<!["'])%\([A-Za-z_]\w{0,63}\)s`,
  // Never starting at a backslash: that is the escape of a quote whose value was already redacted.
  String.raw`(?<!["'])(?!\\)${BARE}{1,1024}`,
].join('|');
const OPEN_QUOTE = String.raw`(?<open>\\?["'])?`;

/** The key names whose value is a secret; `password_reset_required` or `max_tokens` never reach a separator. */
const SECRET_KEY = `(?:passw(?:or)?d|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)(?:[_.-]?(?:key|value|base|string)){0,2}`;

const AUTHORIZATION = String.raw`(?<![A-Za-z0-9_])(?:proxy-)?authorization${SEPARATOR}(?:\\?["'])?`;
const TOKEN68 = String.raw`[A-Za-z0-9._~+\/-]`;

/** After a bare `:` a word is the message talking (`secret: not found`); after `=` or in quotes it is a value. */
function keepAssignment(secret: string, match: RegExpExecArray): boolean {
  if (isPlaceholder(secret)) return true;
  return match.groups?.sep === ':' && match.groups.open === undefined && looksLikeProse(secret);
}

/** `logo@2x.png`, `icon@3x.webp`: asset names with a scale suffix, not addresses. */
const FILE_NAME = /\.(?:png|jpe?g|gif|svg|webp|ico|js|mjs|cjs|ts|css|json|html?|map|txt|log|lock)$/i;

export const BUILT_IN_RULES: readonly RedactionRule[] = [
  // The block may be cut short (a clipped message): then everything from BEGIN on goes.
  rule(
    'private_key',
    String.raw`-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----|$)`,
  ),
  rule(
    'jwt',
    String.raw`(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,4096}\.[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{0,4096}(?![A-Za-z0-9_-])`,
  ),
  rule(
    'github_token',
    `(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,251}|github_pat_[A-Za-z0-9_]{30,251})(?![A-Za-z0-9_])`,
  ),
  // Keeps the host and kind of hook, so the report still says which integration leaked.
  rule(
    'slack_webhook',
    String.raw`https?:\/\/hooks\.slack(?:-gov)?\.com\/(?:services|workflows|triggers)\/(?<secret>[A-Za-z0-9_\/-]{8,512})`,
  ),
  rule('slack_token', `(?<![A-Za-z0-9_-])(?:xox[abprs]|xapp)-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9_-])`),
  rule(
    'stripe_key',
    `(?<![A-Za-z0-9_])(?:(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,247}|whsec_[A-Za-z0-9]{20,247})(?![A-Za-z0-9_])`,
  ),
  // Before openai_key, which would otherwise take `sk-ant-` keys as its own.
  rule('anthropic_key', `(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,250}(?![A-Za-z0-9_-])`),
  // The bare `sk-` form is one unbroken alphanumeric run of 32+, so `sk-learn-compatible-estimators` stays.
  rule(
    'openai_key',
    `(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,250}|[A-Za-z0-9]{32,250})(?![A-Za-z0-9_-])`,
  ),
  rule('aws_access_key_id', `(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])`),
  // 40 characters of base64 are everywhere (hashes, ids): only next to a key name that says what they are.
  rule(
    'aws_secret_access_key',
    String.raw`(?:aws[_.-]?secret(?:[_.-]?access)?[_.-]?key|secret[_.-]?access[_.-]?key)${SEPARATOR}(?:\\?["'])?(?<secret>[A-Za-z0-9\/+]{40})(?![A-Za-z0-9\/+=])`,
    { ignoreCase: true },
  ),
  // The password is the userinfo's part after the first `:`, up to the authority's last `@` (some are not encoded).
  rule(
    'url_password',
    String.raw`(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,30}:\/\/[^\s:\/?#@\[\]]{0,256}:${NOT_A_MARKER}(?<secret>[^\s\/]{1,512})@`,
    { ignoreCase: true },
  ),
  // Schemes whose credentials are a list of quoted parameters: the rest of the line goes.
  rule(
    'authorization_header',
    String.raw`${AUTHORIZATION}(?:digest|aws4-hmac-sha256|hmac|signature)\s{1,5}${NOT_A_MARKER}(?<secret>[^\r\n]{1,4096})`,
    { ignoreCase: true, keep: isPlaceholder },
  ),
  rule(
    'authorization_header',
    String.raw`${AUTHORIZATION}(?:(?<scheme>bearer|basic|token|bot|apikey|key|negotiate|ntlm)\s{1,5})?${NOT_A_MARKER}(?<secret>${TOKEN68}{1,4096}=*)`,
    {
      ignoreCase: true,
      // Without a scheme, `Authorization: denied` is prose.
      keep: (secret, match) => isPlaceholder(secret) || (match.groups?.scheme === undefined && looksLikeProse(secret)),
    },
  ),
  rule('bearer_token', String.raw`(?<![A-Za-z0-9_])[Bb]earer\s{1,5}${NOT_A_MARKER}(?<secret>${TOKEN68}{8,4096}=*)`, {
    // `Bearer authentication-required` is words; opaque tokens mix case or digits.
    keep: (secret) => isPlaceholder(secret) || /^[a-z]+(?:-[a-z]+)*$/.test(secret),
  }),
  // Semicolon-separated strings (ADO.NET, ODBC, JDBC properties), where a password may hold spaces. Only after
  // a `;`: elsewhere (`PWD=/home/app`, `password=x and more words`) secret_assignment's stricter value applies.
  rule(
    'connection_string_password',
    String.raw`(?<=;\s{0,3})(?:password|pwd)\s{0,3}=(?!=)\s{0,3}${NOT_A_MARKER}(?<secret>"[^"\r\n]{1,512}"|'[^'\r\n]{1,512}'|\{[^}\r\n]{1,512}\}|[^;\s"'{}](?:[^;\r\n]{0,510}[^;\s])?)`,
    { ignoreCase: true, keep: isPlaceholder },
  ),
  rule('secret_assignment', `${SECRET_KEY}${SEPARATOR}${OPEN_QUOTE}${NOT_A_MARKER}(?<secret>${VALUE})`, {
    ignoreCase: true,
    keep: keepAssignment,
  }),
  // A dotted domain with an alphabetic TLD: `root@localhost`, `pkg@1.2.3`, `Foo@6d06d69c` are not addresses.
  // Not after `//` (a URL's user), not before `:path` (an SSH remote such as git@github.com:org/repo.git).
  rule(
    'email',
    String.raw`(?<![A-Za-z0-9._%+-])(?<!\/\/)[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])(?!:[\w~\/.-])`,
    { keep: (secret) => FILE_NAME.test(secret) },
  ),
];

export const BUILT_IN_RULE_NAMES: readonly string[] = [...new Set(BUILT_IN_RULES.map((r) => r.name))];
