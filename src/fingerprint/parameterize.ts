/** @module Message templating: replaces the variable values in an error message with typed placeholders so that every occurrence of one error shares one template, while the words that say what went wrong stay. */

/**
 * The outcome of templating one message.
 *
 * `counts` says how many values of each kind were replaced (kinds with none are absent). `truncated` is true
 * when the input was longer than {@link MAX_INPUT_CHARS} or the template longer than {@link MAX_TEMPLATE_CHARS};
 * the template then ends with {@link TRUNCATION_MARKER}.
 */
export interface Template {
  template: string;
  counts: Readonly<Record<string, number>>;
  truncated: boolean;
}

/**
 * Identifies the rules below. It is part of the fingerprint configuration: any change that can alter a
 * template for some input must change it, since every signature hash depends on the templates.
 */
export const PARAMETERIZE_VERSION = 'param:2026-11-29';

/** Only this much of a message is read, so a 1 MB message costs what a 2 kB one does. */
export const MAX_INPUT_CHARS = 2000;
/** Templates are stored and shown per signature; anything past this says nothing an engineer reads. */
export const MAX_TEMPLATE_CHARS = 1024;
export const TRUNCATION_MARKER = ' <truncated>';

/*
 * How a message becomes a template: cut to MAX_INPUT_CHARS at a word boundary, drop terminal colour codes,
 * collapse whitespace; replace values by the RULES table below (most specific first: URLs and emails before
 * key=value, timestamps before dates before numbers, addresses before versions before floats before ints);
 * join lists of one placeholder (`<int>, <int>, <int>` -> `<int>, ...`); cut to MAX_TEMPLATE_CHARS.
 * What stays: words, punctuation, names in quotes (see renderQuoted), status and error codes (see
 * CODE_CONTEXT), digits glued to words (see below), enum-like values of enum-like keys (see renderValue).
 */

/*
 * Boundaries.
 *
 * A value is only recognised as a whole token: `node42`, `utf8`, `ORA-00942`, `HikariPool-1`, `db-1` and
 * `x86_64` keep their digits, because digits glued to a word (directly or through `-`/`_`) are far more often
 * part of a name or an error code than a per-occurrence value, and merging `ORA-00942` with `ORA-01017`
 * would hide a bug. "Glued" means glued to a letter of a script that separates words with spaces
 * (Latin, Greek, Cyrillic); in CJK text numbers sit next to letters with no space and are values.
 *
 * Every match must start where GATE allows (below), so no rule starts inside a word. Each rule adds a
 * look-behind for the other characters of its own first run (`.` for numbers, `-` for hex...), so a rule
 * is tried once per run of characters it could consume, not once per character: that keeps the scan linear.
 */
// The main blocks of those scripts (U+00AA-U+052F also holds a few symbols, such as `°` and `×`: harmless).
// Short on purpose: these classes appear dozens of times, and past 20k characters of source V8 compiles a
// regex without its optimisations.
const LETTER = String.raw`A-Za-z\u00aa-\u052f\u1c80-\u1fff`;
const W = `${LETTER}0-9_`;
/** Letters of any script, for names and paths. */
const ANY = String.raw`\w\u00aa-\uffff`;
/** Not followed by a word character. */
const E = `(?![${W}])`;
/** Numbers: not after a dot (`1.2` is one value), not in `abc-12` or `ip-10-0-1-23`. */
const NB = String.raw`(?<!\.|[${LETTER}][${W}-]{0,32}-)`;
/** Numbers: not followed by a word character, and `1.5` is not `1` then `.5`. */
const NE = String.raw`(?![${W}]|\.\d)`;
/** Hex runs stand alone: a hash joined to a word by `-` is part of that word (see `token`). */
const HB = `(?<![${W}]-)`;
const HE = `(?![${W}]|-[${W}])`;

const MON = 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
/** Units that may follow a number after a space: `250 ms`, `10 seconds`, `512 KiB`, `100 bytes`. */
const DURATION_UNIT =
  '(?:nano|micro|milli)?sec(?:ond)?s?|millis|msecs?|[nuµμm]s|min(?:ute)?s?|h(?:ou)?rs?|hours?|days?|weeks?';
const SIZE_UNIT = '[KkMmGgTtPp]i?[Bb]|[Bb]ytes?';
const DAY = 'Mon|Tue|Wed|Thu|Fri|Sat|Sun';
/** A day or month name where GATE has already checked it (shorter than the alternation). */
const NAME = '[A-Z][a-z]{2}';

/**
 * Where a match may start: not inside a word, and in a whitespace-delimited chunk that has a digit, a quote,
 * `=`, `@`, `/`, a backslash, `:` or `.` in its first 65 characters, or at a month or day name (dates that start
 * with a word). Every rule's matches contain one of those (a uuid, hash or token with no digit at all is not
 * recognised), so the gate changes no result; it lets plain words (most of a message) fail after a few steps.
 * The ASCII look-behind goes first because it is cheaper than the full one and decides most positions.
 */
const GATE = String.raw`(?<![A-Za-z0-9_])(?=[^\s]{0,64}?[\d'"${'`'}=@\/\\:.]|(?:${MON}|${DAY}))(?<![${W}])`;
/** The same characters: a message without any of them has nothing to replace. */
const MAY_HAVE_VALUES = /[\d'"`=@/\\:.]/;

const OCTET = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)`;
const IPV4 = String.raw`${OCTET}(?:\.${OCTET}){3}`;
const H4 = '[0-9A-Fa-f]{1,4}';
/**
 * RFC 4291 text forms: eight groups, or groups around one `::` (also with an IPv4 tail). The compressed
 * form does not count its groups; written with counted repetitions the regex grows tenfold.
 */
const IPV6 = `${H4}(?::${H4}){7}|(?:${H4}(?::${H4})*)?::(?:(?:[Ff]{4}(?::0{1,4})?:)?${IPV4}|${H4}(?::${H4})*)?`;
const PORT = String.raw`\d{1,5}`;
/** A backtick, which a template literal cannot hold unescaped. */
const BT = '`';
/** The last segment of a Windows path: no spaces, and no trailing full stop or comma. */
const WIN_LAST = String.raw`(?:[^\\/:*?"<>|\s,;)]*[^\\/:*?"<>|\s,;.)])?`;

/** Extensions of source files, so `main.go:42` reads as file and line, not as host and port. */
const SRC_EXT =
  'go|js|mjs|cjs|jsx|ts|tsx|mts|cts|py|rb|java|kt|kts|scala|groovy|cs|fs|vb|php|rs|c|cc|cpp|cxx|h|hpp|swift|m|mm|ex|exs|erl|clj|dart|lua|pl|sh';

/** A path segment: no trailing dot, so `see /var/log/app.log.` keeps its full stop. */
const SEG = String.raw`(?:\.{1,2}(?=/)|\.?[${ANY}@%+~-]+(?:\.+[${ANY}@%+~-]+)*)`;

/**
 * Where an integer is a status or error code rather than a count or an id: `status code 503`,
 * `HTTP/1.1 404`, `[Errno 111]`, `exit status 137`, `ERROR 1062`, `SQLSTATE 23505`, `code = 14`,
 * `killed by signal 9`. Codes say which failure happened, so 500 and 503 stay apart. At most five digits:
 * six-digit "codes" are one-time passwords and the like.
 */
const CODE_CONTEXT =
  /(?<=(?:\b(?:[Ss]tatus|STATUS)(?: ?[Cc]ode)?|\b(?:[Cc]ode|CODE|[Ee]rrno|ERRNO|SQLSTATE|SQLState|sqlstate|[Ee]xit|EXIT|[Ss]ignal|SIGNAL)|[a-z](?:Status|Code)|\bHTTP(?:\/\d(?:\.\d)?)?)(?: ?[:=#] ?| )|\b(?:[Ee]rror|ERROR) )/y;

function renderInt(match: string, counts: Counts, text: string, start: number): string {
  if (match.length <= (match.charCodeAt(0) === 45 ? 6 : 5)) {
    CODE_CONTEXT.lastIndex = start;
    if (CODE_CONTEXT.test(text)) return match;
  }
  return placeholder('int', counts);
}

type Counts = Record<string, number>;

/**
 * What a chunk (a run without spaces) contains, as bits: characters many rules cannot match without. COLON
 * is a colon that does not end the chunk (`Error:` says nothing; `host:5432`, `://`, `12:30` do). Only two:
 * each bit doubles the number of regexes compiled, and these two rule out the most rules in ordinary words.
 */
const Feature = { DIGIT: 1, COLON: 2 } as const;
const ALL_FEATURES = 3;

interface Rule {
  readonly name: string;
  /**
   * Every character a match can start with, as the body of a regex character class. The compiled regex
   * tries at each position only the rules that can start with the character there (see compile), so a
   * character missing here means the rule never matches at it.
   */
  readonly starts: string;
  /**
   * A feature (see Feature) the first chunk of every match has; the rule is not tried in a chunk without it.
   * Like `starts`, a superset of the truth is safe, a subset is a bug.
   */
  readonly needs?: number;
  readonly pattern: string;
  /** Placeholder kind when the whole match becomes one placeholder. */
  readonly kind?: string;
  /**
   * Builds the replacement when it is not simply `<kind>`; `text` and `start` are the text being templated
   * and where the match starts in it. Undefined rejects the match: no rule matches at that position.
   */
  readonly render?: (match: string, counts: Counts, text: string, start: number) => string | undefined;
}

function placeholder(kind: string, counts: Counts): string {
  counts[kind] = (counts[kind] ?? 0) + 1;
  return `<${kind}>`;
}

/**
 * A name rather than a value: a column, constraint, key, attribute, module, topic, collation or enum member
 * (`users_email_key`, `NoneType`, `nil:NilClass`, `float64`, `utf8mb4`, `application/json`). Digits only at
 * the end of a word part and two at most: `sku-1`, `redis-0`, `user_42` (a number after a separator is an
 * instance or an id) and `abc123` are values.
 */
function isIdentifier(text: string): boolean {
  if (!IDENTIFIER.test(text)) return false;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) continue;
    if (++digits > 2) return false;
    const before = text.charCodeAt(i - 1);
    const afterLetter = (before >= 65 && before <= 90) || (before >= 97 && before <= 122) || before > 127;
    if (!afterLetter && !(before >= 48 && before <= 57)) return false;
  }
  return true;
}
// A trailing `()` or `[]` is how code names a method or an array type: `String.length()`, `int[]`.
const IDENTIFIER = /^[\p{L}_$][\p{L}\p{N}_$.:/-]{0,63}(?:\(\)|\[\])?$/u;

/*
 * key=value. The key stays. The value:
 * - after a code key (`status=503`, `code=ER_DUP_ENTRY`, `sqlstate=40001`, `exit_code=137`) stays, for the
 *   reason codes stay in prose;
 * - after a key whose values are a small set of names (`state=OPEN`, `reason=timeout`, `method=GET`,
 *   `table=users`) stays when it is an identifier: those values tell failures apart;
 * - `null`, `nil`, `None`, `undefined` stay (a missing value is usually the bug), booleans become `<bool>`;
 * - a value that contains typed values is templated like any text (`user=alice@x.io` -> `user=<email>`,
 *   `msg="took 30s"` -> `msg="took <duration>"`), and quoted prose keeps its words;
 * - any other value (a bare name such as `user=alice`) becomes `<value>`: in key=value form the key already
 *   names the field, and its values are per-occurrence data.
 */
const CODE_KEY = /(?:status|code|errno|sqlstate|signal|^rc|^exit)$/i;
const CODE_VALUE = /^(?:-?\d{1,5}|[0-9A-Z]{5}|[A-Za-z_][\w.-]{0,31})$/;
const NAME_KEY =
  /(?:^|[_.-])(?:state|reason|level|severity|type|kind|method|verb|op|operation|phase|mode|action|result|outcome|cause|err|error|category|class|protocol|scheme|event|table|column|constraint|index|field|relation|schema|database|db|topic|queue|bucket|service|module|func|function|handler)$/i;
const NULLISH = new Set(['null', 'NULL', 'Null', 'nil', 'None', 'undefined', 'NaN']);
const BOOLEAN = new Set(['true', 'false', 'True', 'False', 'TRUE', 'FALSE']);

function renderKeyValue(match: string, counts: Counts): string {
  const eq = match.indexOf('=');
  const key = match.slice(0, eq);
  let value = match.slice(eq + 1);
  let quote = '';
  const first = value.charAt(0);
  if (value.length >= 2 && (first === '"' || first === "'" || first === '`') && value.endsWith(first)) {
    quote = first;
    value = value.slice(1, -1);
  }
  return `${key}=${quote}${renderValue(key, value, counts)}${quote}`;
}

function renderValue(key: string, value: string, counts: Counts): string {
  if (value === '' || NULLISH.has(value)) return value;
  if (CODE_KEY.test(key) && CODE_VALUE.test(value)) return value;
  if (BOOLEAN.has(value)) return placeholder('bool', counts);
  if (NAME_KEY.test(key) && isIdentifier(value)) return value;
  const templated = substitute(value, counts);
  if (templated !== value || value.includes(' ')) return templated;
  return placeholder('value', counts);
}

/*
 * Quoted text ('x', "x", `x`). Quotes in error messages hold two different things: names from the schema or
 * the code (`column "email" does not exist`, `KeyError: 'user_id'`, `unique constraint "users_email_key"`,
 * `No module named 'yaml'`) and data (`Duplicate entry 'a@b.io'`, `pods "web-7d9f8b6c4-x2k9z" not found`,
 * `invalid input syntax for type uuid: "123"`). Merging names merges different bugs; keeping data splits one
 * bug into one group per value. Rule, in order:
 * 1. text with spaces is templated like any text: its words stay, its values go;
 * 2. a single token that contains typed values is templated (`'<email>'`, `"<token>"`, `'<path>'`,
 *    `'user:<int>'`);
 * 3. a single token that is an identifier (see isIdentifier) stays;
 * 4. anything else becomes `<str>` inside the same quotes.
 * So `KeyError: 'sku-1'` and `KeyError: 'sku-99'` group, `KeyError: 'user_id'` and `KeyError: 'email'` do
 * not. The cost: data that looks like a name (`Duplicate entry 'alice'`) keeps one group per value.
 * An apostrophe inside a word (`can't`, `user's`) opens no quote.
 */
function renderQuoted(match: string, counts: Counts): string {
  const quote = match.charAt(0);
  const inner = match.slice(1, -1);
  if (inner === '') return match;
  const templated = substitute(inner, counts);
  if (templated !== inner || inner.includes(' ')) return `${quote}${templated}${quote}`;
  if (isIdentifier(inner)) return match;
  return `${quote}${placeholder('str', counts)}${quote}`;
}

/**
 * Random tokens (API keys, session ids, pod suffixes, base64) switch between letters and digits often;
 * identifiers with a number in them (`utf8mb4_unicode_ci`, `x-amz-content-sha256`) rarely do.
 */
const TOKEN_MIN_TRANSITIONS = 4;

function letterDigitTransitions(text: string): number {
  let transitions = 0;
  let previous = 0; // 0 other, 1 digit, 2 letter
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const current = c >= 48 && c <= 57 ? 1 : (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? 2 : 0;
    if (current !== 0 && previous !== 0 && current !== previous) transitions++;
    previous = current;
  }
  return transitions;
}

/** Undefined (no match) for a candidate that is not random: `order/123456789012` is a word and a number. */
function renderToken(match: string, counts: Counts): string | undefined {
  return letterDigitTransitions(match) >= TOKEN_MIN_TRANSITIONS ? placeholder('token', counts) : undefined;
}

function renderHexRun(match: string, counts: Counts): string {
  const n = match.length;
  // 7-12: abbreviated git commits; 32/40/64/128: MD5, SHA-1, SHA-256, SHA-512 digests.
  const isHash = n <= 12 || n === 32 || n === 40 || n === 64 || n === 128;
  return placeholder(isHash ? 'hash' : 'hex', counts);
}

function renderAddress(match: string, counts: Counts): string {
  if (match.startsWith('[')) {
    const close = match.indexOf(']');
    return close === match.length - 1
      ? `[${placeholder('ip', counts)}]`
      : `${placeholder('ip', counts)}:${placeholder('port', counts)}`;
  }
  return match.includes(':')
    ? `${placeholder('ip', counts)}:${placeholder('port', counts)}`
    : placeholder('ip', counts);
}

/**
 * The rules, most specific first. The scan takes the leftmost match and, at one position, the first rule
 * that matches, so a rule must come before every rule that matches a prefix of what it matches (timestamp
 * before date before time before int, ip before version before float, uuid before hex). Patterns assume
 * GATE in front of them (see compile).
 */
const RULES: readonly Rule[] = [
  // Kept verbatim, so that the version is not read as a float.
  { name: 'protocol', starts: 'H', pattern: String.raw`HTTP\/\d(?:\.\d)?${E}`, render: (m) => m },
  {
    // Most values are plain integers, and the int rule comes last: this copy of it, early in the table, takes
    // an integer that no other rule could match, by what follows it: the end, a space not followed by a unit
    // or a month (`250 ms`, `512 KiB`, `15 Jan 2024`), closing punctuation, or `.`/`:` ending a sentence or
    // clause (`42.` could still start `42.x@y.io`). Not a new rule: without it every template would be the
    // same, only slower.
    name: 'int_fast',
    starts: '0-9-',
    needs: Feature.DIGIT,
    render: renderInt,
    pattern: String.raw`${NB}-?\d+(?=$|[,;()[\]{}!?"'<>|&*#]|[.:]?(?:$| (?!(?:${DURATION_UNIT}|${SIZE_UNIT})(?![${W}])|(?:${MON}) )))`,
  },
  {
    name: 'url',
    starts: 'A-Za-z',
    needs: Feature.COLON,
    kind: 'url',
    pattern: String.raw`[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s"'<>${BT}]*[^\s"'<>${BT}.,;:!?)\]}]`,
  },
  {
    name: 'email',
    starts: String.raw`\w.%+-`,
    kind: 'email',
    pattern: String.raw`(?<![.%+-])(?=[\w.%+-]{1,64}?@)[\w.%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}${E}`,
  },
  {
    name: 'kv',
    starts: 'A-Za-z_',
    // An unquoted value stops at `=` (but keeps base64 padding): `a=b=c` is two pairs, and a value is never
    // itself a key=value, which keeps the templating of values from nesting.
    pattern: String.raw`(?<![.-])[A-Za-z_][\w.-]{0,63}=(?!=)(?:'[^']{0,200}'|"[^"]{0,200}"|${BT}[^${BT}]{0,200}${BT}|[^\s,;&)\]}<>"'${BT}=]+(?:={1,2}(?![\w=]))?)`,
    render: renderKeyValue,
  },
  {
    name: 'jwt',
    starts: 'e',
    kind: 'token',
    pattern: String.raw`(?<!-)eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*${E}`,
  },
  {
    name: 'traceparent',
    starts: '0-9a-f',
    needs: Feature.DIGIT,
    kind: 'traceparent',
    pattern: `(?=[0-9a-f]{2}-)${HB}[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}${HE}`,
  },
  {
    name: 'uuid',
    starts: '0-9A-Fa-f',
    needs: Feature.DIGIT,
    kind: 'uuid',
    pattern: `(?=[0-9A-Fa-f]{8}-)${HB}[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}${HE}`,
  },
  {
    name: 'timestamp',
    starts: '0-9A-Z',
    kind: 'timestamp',
    pattern: guarded(String.raw`\d{4}[-\/]|\d{2}\/[A-Z]|[A-Z][a-z]{2},? `, [
      // ISO 8601 / RFC 3339, with `T` or a space, optional fraction and zone (also Go's `+0000 UTC`).
      String.raw`(?=\d{4}-)${NB}\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?: ?(?:Z|[+-]\d{2}:?\d{2}))?(?: (?:UTC|GMT))?${NE}`,
      // Go's log package and many others: 2009/11/10 23:00:00
      String.raw`(?=\d{4}\/)${NB}\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?${NE}`,
      // Common Log Format: 10/Oct/2000:13:55:36 -0700
      String.raw`(?=\d{2}\/[A-Z])${NB}\d{2}\/(?:${MON})\/\d{4}:\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?${NE}`,
      // The alternatives below start with a day or month name: GATE lets only those start a match here.
      // RFC 1123 (HTTP dates): Mon, 02 Jan 2006 15:04:05 GMT
      String.raw`${NAME}, \d{1,2} ${NAME} \d{4} \d{2}:\d{2}:\d{2}(?: (?:GMT|UTC|[+-]\d{4}))?${NE}`,
      // ctime and java.util.Date: Tue Nov 28 10:00:00 UTC 2026
      String.raw`${NAME} ${NAME} \d{1,2} \d{2}:\d{2}:\d{2}(?: [A-Z]{2,5})? \d{4}${NE}`,
      // syslog: Jan 2 15:04:05
      String.raw`${NAME} \d{1,2} \d{2}:\d{2}:\d{2}${NE}`,
    ]),
  },
  {
    name: 'date',
    starts: '0-9A-Z',
    kind: 'date',
    pattern: guarded(String.raw`\d{4}[-\/]|\d{1,2}[\/.]\d|\d{1,2} [A-Z]|[A-Z][a-z]{2}`, [
      String.raw`(?<!\.)(?:\d{4}-\d{2}-\d{2}|\d{4}\/\d{2}\/\d{2}|\d{1,2}\/\d{1,2}\/\d{4}|\d{1,2}\.\d{1,2}\.\d{4}|\d{1,2} (?:${MON}) \d{4})${NE}`,
      String.raw`${NAME}[a-z]{0,6} \d{1,2}, \d{4}${NE}`,
    ]),
  },
  {
    name: 'time',
    starts: '0-9',
    needs: Feature.COLON,
    kind: 'time',
    pattern: String.raw`(?=\d{1,2}:\d)(?<![.:])\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?: ?[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?(?![${W}:]|\.\d)`,
  },
  {
    name: 'mac',
    starts: '0-9A-Fa-f',
    kind: 'mac',
    pattern: `(?=[0-9A-Fa-f]{2}[:-])${HB}(?:(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}|(?:[0-9A-Fa-f]{2}-){5}[0-9A-Fa-f]{2})${HE}`,
  },
  {
    name: 'ip6port',
    starts: '[:',
    needs: Feature.COLON,
    // `[::1]:8080`, and `:::3000` as Node prints a wildcard listener.
    pattern: String.raw`\[(?:${IPV6})(?:%[\w.]+)?\](?::${PORT})?${NE}|(?<!:):::${PORT}${NE}`,
    render: renderAddress,
  },
  {
    name: 'ip4',
    starts: '0-9',
    needs: Feature.DIGIT,
    pattern: String.raw`(?=\d{1,3}\.\d)${NB}${IPV4}(?::${PORT})?${NE}`,
    render: renderAddress,
  },
  {
    name: 'ip6',
    starts: '0-9A-Fa-f:',
    needs: Feature.COLON,
    kind: 'ip',
    // A digit is required so that `Face::Add` and ` :: ` are not addresses.
    pattern: String.raw`(?<![:.])(?=[0-9A-Fa-f]{0,4}:)(?=[0-9A-Fa-f:]*\d)(?:${IPV6})(?:%[\w.]+)?(?![${W}:]|\.[${W}])`,
  },
  {
    name: 'srcloc',
    starts: 'A-Za-z_$',
    needs: Feature.COLON,
    // file.ext:line[:col] keeps the file (it says where) and drops the line (it moves with every edit).
    pattern: String.raw`(?<![.$-])[A-Za-z_$][\w$.-]*\.(?:${SRC_EXT}):\d+(?::\d+)?${NE}`,
    render: (m, counts) => {
      const colon = m.indexOf(':', m.lastIndexOf('.'));
      const numbers = m.slice(colon + 1).split(':');
      return m.slice(0, colon) + numbers.map(() => `:${placeholder('int', counts)}`).join('');
    },
  },
  {
    name: 'hostport',
    starts: 'A-Za-z0-9',
    needs: Feature.COLON,
    // A host needs a letter and a dot, a hyphen or a digit (`db-1`, `redis.internal`, `localhost`), so that
    // `user:1234` and `retries:3` stay words followed by numbers.
    pattern: String.raw`(?<![.@:-])(?=[A-Za-z0-9.-]{1,253}:\d)(?:localhost|(?=[A-Za-z0-9.-]*[A-Za-z])(?=[A-Za-z]*[.\d-])[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*):${PORT}(?![${W}]|\.?\d|:\d)`,
    render: (_m, counts) => `${placeholder('host', counts)}:${placeholder('port', counts)}`,
  },
  {
    name: 'winpath',
    starts: String.raw`A-Za-z\\`,
    kind: 'path',
    pattern: [
      // Backslashes: inner directories may contain spaces (`C:\Program Files\App\app.exe`).
      String.raw`[A-Za-z]:\\{1,2}(?:[^\\/:*?"<>|\s][^\\/:*?"<>|]*\\{1,2})*${WIN_LAST}`,
      String.raw`[A-Za-z]:\/(?:[^\\/:*?"<>|\s]+\/)*${WIN_LAST}`,
      // UNC: \\server\share\dir
      String.raw`(?<!\\)\\\\[\w.$-]+(?:\\[^\\/:*?"<>|\s,;)]+)+`,
    ].join('|'),
  },
  {
    name: 'path',
    starts: String.raw`~./\w@%+\u00aa-\uffff-`,
    kind: 'path',
    pattern: [
      // Absolute with two or more segments (`/` and `/tmp` alone are too ambiguous), or ~/, ./, ../
      String.raw`(?<![.~\/:-])(?:(?:~|\.{1,2})(?:\/${SEG})+|(?:\/${SEG}){2,})\/?`,
      // Relative, ending in a file name with an extension: `src/app/main.ts`, not `and/or` or `application/json`.
      String.raw`(?<![.~\/:@%+-])(?:[${ANY}@%+~-]+\/)+[${ANY}@%+~.-]*\.[A-Za-z][A-Za-z0-9]{0,7}(?![${W}\/])`,
    ].join('|'),
  },
  {
    name: 'quoted',
    starts: `'"${BT}`,
    pattern: String.raw`(?<!\\)(?:'[^'\n]{0,200}'|"[^"\n]{0,200}"|${BT}[^${BT}\n]{0,200}${BT})(?![${W}])`,
    render: renderQuoted,
  },
  {
    name: 'hex0x',
    starts: '0',
    needs: Feature.DIGIT,
    kind: 'hex',
    pattern: `0[xX][0-9A-Fa-f]+${E}`,
  },
  {
    name: 'hexrun',
    starts: '0-9A-Fa-f',
    needs: Feature.DIGIT,
    // Seven or more hex digits with at least one digit and one letter, in one case: `deadbeef` and
    // `facade` stay words, `1234567` stays a number.
    pattern: String.raw`(?=[0-9A-Fa-f]{7})${HB}(?=[0-9A-Fa-f]*[A-Fa-f])(?=[0-9A-Fa-f]*\d)(?:[0-9a-f]{7,}|[0-9A-F]{7,})${HE}`,
    render: renderHexRun,
  },
  {
    name: 'duration',
    starts: '0-9P',
    needs: Feature.DIGIT,
    kind: 'duration',
    pattern: [
      // Go-style and compound: 30s, 1.5ms, 2m30s, 1h2m3.5s; and 250 ms, 10 seconds, 5min
      String.raw`(?=\d+(?:\.\d+)? ?[nuµμmshdw])${NB}(?:(?:\d+(?:\.\d+)?(?:[nuµμm]s|[smhd]))+|\d+(?:\.\d+)? ?(?:${DURATION_UNIT}))${NE}`,
      // ISO 8601 durations as java.time prints them: PT30S, PT1M30.5S
      String.raw`PT(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?(?<=\d[HMS])${E}`,
    ].join('|'),
  },
  {
    name: 'size',
    starts: '0-9',
    needs: Feature.DIGIT,
    kind: 'size',
    // 10MB, 512 KiB, 100 bytes, 1.5gb, and Kubernetes quantities 512Mi / 2Gi.
    pattern: String.raw`(?=\d+(?:\.\d+)? ?[KkMmGgTtPpBb])${NB}\d+(?:\.\d+)?(?: ?(?:${SIZE_UNIT})|[KMGTP]i|B)${NE}`,
  },
  {
    name: 'version',
    starts: '0-9vV',
    needs: Feature.DIGIT,
    kind: 'version',
    pattern: String.raw`(?=[vV]\d|\d+\.\d+\.)${NB}(?:[vV]\d+(?:\.\d+)+|\d+(?:\.\d+){2,})(?:-[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)?(?:\+[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)?${NE}`,
  },
  {
    name: 'float',
    starts: '0-9-',
    needs: Feature.DIGIT,
    kind: 'float',
    pattern: String.raw`(?=-?\d+[.eE])${NB}-?\d+(?:\.\d+(?:[eE][-+]?\d+)?|[eE][-+]?\d+)${NE}`,
  },
  {
    name: 'int',
    starts: '0-9-',
    needs: Feature.DIGIT,
    pattern: String.raw`${NB}-?\d+${NE}`,
    render: renderInt,
  },
  {
    name: 'token',
    starts: String.raw`\w+/-`,
    needs: Feature.DIGIT,
    // Candidates: 16+ chars of a base64/base64url/identifier alphabet with a digit and a letter; renderToken
    // decides whether it is random. Last, so that a rejected candidate simply means no rule matched there.
    pattern: String.raw`(?<![+\/=-])(?=[A-Za-z0-9_+\/-]{16})(?=[A-Za-z0-9_+\/-]*?\d)(?=[A-Za-z0-9_+\/-]*?[A-Za-z])[A-Za-z0-9_+\/-]+={0,2}(?![${W}])`,
    render: renderToken,
  },
];

/*
 * The engine. Conceptually one regex, GATE followed by the alternation of every rule in table order, scanned
 * left to right. Two things make that slow in V8: a regex of this size costs about as much per position as
 * per rule (even rules that fail on the first character), and telling which rule matched needs capture
 * groups, which slow every attempt. So positions are visited in JS, and at each one a sticky regex holding
 * only the rules that can start with the character there and match in a chunk with its features (in table
 * order, one capture group each) is run. Positions where GATE must fail are skipped without running a
 * regex. The result is the conceptual scan's: the leftmost position where some rule matches, and there the
 * first rule in table order. All the regexes (about fifty) are built when the module loads.
 */

interface Dispatch {
  readonly regex: RegExp;
  /** The rule of each capture group of `regex`, in order. */
  readonly ruleOfGroup: readonly Rule[];
}

/** A look-ahead that fails fast where none of the alternatives can start, then the alternatives. */
function guarded(guard: string, alternatives: readonly string[]): string {
  return `(?=${guard})(?:${alternatives.join('|')})`;
}

/** The rules that can start with character `c` (see Rule.starts). */
function startingWith(rules: readonly Rule[], c: string): Rule[] {
  return rules.filter((r) => new RegExp(`[${r.starts}]`).test(c));
}

/**
 * At `code * (ALL_FEATURES + 1) + features`, where code is the first character's (128 for any non-ASCII
 * character) and features those of its chunk: the rules to try there, or undefined for none.
 */
function compile(rules: readonly Rule[]): readonly (Dispatch | undefined)[] {
  const bySubset = new Map<string, Dispatch>();
  const byFirst: (Dispatch | undefined)[] = [];
  for (let code = 0; code <= 128; code++) {
    // Non-ASCII: rules either take every non-ASCII character or none, so one stands for all.
    const starting = startingWith(rules, code === 128 ? '\u00e9' : String.fromCharCode(code));
    for (let features = 0; features <= ALL_FEATURES; features++) {
      const subset = starting.filter((r) => r.needs === undefined || (features & r.needs) !== 0);
      const key = subset.map((r) => r.name).join(',');
      let dispatch = bySubset.get(key);
      if (dispatch === undefined && subset.length > 0) {
        const source = `${GATE}(?:${subset.map((r) => `(${r.pattern})`).join('|')})`;
        dispatch = { regex: new RegExp(source, 'y'), ruleOfGroup: subset };
        bySubset.set(key, dispatch);
      }
      byFirst.push(dispatch);
    }
  }
  return byFirst;
}

const DISPATCH = compile(RULES);

/**
 * `int_fast` on its own. Most matches are plain integers, and a regex costs in proportion to all its
 * alternatives even when an early one matches. It is the first rule that a digit or `-` can start, so where
 * it matches it is the rule the dispatch regex would pick; and GATE holds there (a digit is a trigger).
 */
const INT_FAST_RULE = RULES.find((r) => r.name === 'int_fast')!;
const INT_FAST = new RegExp(INT_FAST_RULE.pattern, 'y');

/** The characters GATE looks for, and W, as tables: a loop over char codes tests them faster than a regex. */
const TRIGGER = new Uint8Array(128);
for (const c of '0123456789\'"`=@/\\:.') TRIGGER[c.charCodeAt(0)] = 1;
const WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) WORD[c] = /\w/.test(String.fromCharCode(c)) ? 1 : 0;

/** Whether `c` is in W. */
function isWordChar(c: number): boolean {
  return c < 128 ? WORD[c] === 1 : (c >= 0xaa && c <= 0x52f) || (c >= 0x1c80 && c <= 0x1fff);
}

/**
 * The features of text[from, to), a chunk without spaces, or -1 when GATE fails everywhere in it (no
 * trigger, and no capital to start a month or day name).
 */
function chunkFeatures(text: string, from: number, to: number): number {
  let features = 0;
  let triggered = false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || TRIGGER[c] === 0) continue;
    triggered = true;
    if (c >= 48 && c <= 57) features |= Feature.DIGIT;
    else if (c === 58 && i < to - 1) features |= Feature.COLON;
  }
  if (triggered) return features;
  const first = text.charCodeAt(from);
  return first >= 65 && first <= 90 ? features : -1;
}

/** Replaces every value in `text` (already normalised), adding to `counts`. */
function substitute(text: string, counts: Counts): string {
  let out = '';
  let last = 0;
  const n = text.length;
  let from = 0;
  while (from < n) {
    let to = text.indexOf(' ', from);
    if (to < 0) to = n;
    let next = to + 1;
    const features = to > from ? chunkFeatures(text, from, to) : -1;
    if (features >= 0) {
      for (let p = from; p < to; p++) {
        if (p > 0 && isWordChar(text.charCodeAt(p - 1))) continue;
        const c = text.charCodeAt(p);
        let rule: Rule | undefined;
        let matched: string | undefined;
        let end = p;
        if ((c >= 48 && c <= 57) || c === 45) {
          INT_FAST.lastIndex = p;
          matched = INT_FAST.exec(text)?.[0];
          rule = INT_FAST_RULE;
          end = INT_FAST.lastIndex;
        }
        if (matched === undefined) {
          const dispatch = DISPATCH[Math.min(c, 128) * (ALL_FEATURES + 1) + features];
          if (dispatch === undefined) continue;
          dispatch.regex.lastIndex = p;
          const m = dispatch.regex.exec(text);
          if (m === null) continue;
          matched = m[0];
          // Read before rendering: render may template a part of the match with these same regexes.
          end = dispatch.regex.lastIndex;
          rule = undefined;
          for (let g = 1; g < m.length && rule === undefined; g++) {
            if (m[g] !== undefined) rule = dispatch.ruleOfGroup[g - 1];
          }
        }
        const replacement = render(rule, matched, counts, text, p);
        if (replacement === undefined) continue;
        out += text.slice(last, p) + replacement;
        last = end;
        if (end >= to) {
          // The match ran past this chunk (`250 ms`, quoted text): go on from its end.
          next = end;
          break;
        }
        p = end - 1;
      }
    }
    from = next;
  }
  return last === 0 ? text : out + text.slice(last);
}

function render(
  rule: Rule | undefined,
  matched: string,
  counts: Counts,
  text: string,
  start: number,
): string | undefined {
  if (rule === undefined) return matched;
  if (rule.render === undefined) return placeholder(rule.kind ?? rule.name, counts);
  return rule.render(matched, counts, text, start);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour sequences start with ESC.
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
const WHITESPACE = /\s+/g;
/** Whitespace other than a space (what `\s` matches, spelt out: a plain class scans faster), or two spaces. */
const UNUSUAL_WHITESPACE = /[\t\n\v\f\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]| {2}/;
/** `[1, 2, 3]` and `[4, 5]` are one list of ints: a run of one placeholder joined by commas becomes `<x>, ...`. */
const LIST = /(['"`]?)<([a-z]+)>\1(?:, ?\1<\2>\1)+/g;
/** Cheap test for a placeholder followed by a comma, before running LIST. */
const LIST_HINT = />['"`]?,/;

/** Cuts `text` to at most `max` chars without leaving half a word or half a surrogate pair at the end. */
function cut(text: string, max: number): string {
  let end = max;
  const space = text.lastIndexOf(' ', max);
  if (space > max - 256 && space > 0) end = space;
  else {
    const c = text.charCodeAt(end - 1);
    if (c >= 0xd800 && c <= 0xdbff) end--;
  }
  return text.slice(0, end).trimEnd();
}

/**
 * Turns an error message into its template: variable values become typed placeholders (`<int>`, `<uuid>`,
 * `<ip>:<port>`, `'<str>'`...), whitespace runs become one space, and the result is trimmed. Pure and
 * deterministic; linear in the (capped) input length.
 */
export function parameterize(message: string): Template {
  let text = typeof message === 'string' ? message : String(message);
  let truncated = false;
  if (text.length > MAX_INPUT_CHARS) {
    // One char more than the cap, so that cut() keeps a last word that ends exactly at the cap.
    text = text.slice(0, MAX_INPUT_CHARS + 1);
    truncated = true;
  }
  if (text.includes('\u001b')) text = text.replace(ANSI, '');
  if (UNUSUAL_WHITESPACE.test(text) || text.charCodeAt(0) === 32 || text.charCodeAt(text.length - 1) === 32) {
    text = text.replace(WHITESPACE, ' ').trim();
  }
  if (truncated) text = cut(text, Math.min(text.length, MAX_INPUT_CHARS));

  const counts: Counts = {};
  let template = MAY_HAVE_VALUES.test(text) ? substitute(text, counts) : text;
  if (template !== text && LIST_HINT.test(template)) template = template.replace(LIST, '$1<$2>$1, ...');
  if (template.length > MAX_TEMPLATE_CHARS) {
    template = cut(template, MAX_TEMPLATE_CHARS);
    const open = template.lastIndexOf('<');
    if (open > template.lastIndexOf('>')) template = template.slice(0, open).trimEnd();
    truncated = true;
  }
  if (truncated) template += TRUNCATION_MARKER;
  return { template, counts, truncated };
}
