import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  MAX_INPUT_CHARS,
  MAX_TEMPLATE_CHARS,
  PARAMETERIZE_VERSION,
  parameterize,
  TRUNCATION_MARKER,
} from './parameterize.js';

const t = (message: string): string => parameterize(message).template;

/** [message, template], grouped by where such messages come from. */
const REAL_WORLD: ReadonlyArray<readonly [string, string]> = [
  // PostgreSQL
  [
    'duplicate key value violates unique constraint "users_email_key"',
    'duplicate key value violates unique constraint "users_email_key"',
  ],
  ['Key (email)=(foo@bar.com) already exists.', 'Key (email)=(<email>) already exists.'],
  ['DETAIL: Key (id)=(42) already exists.', 'DETAIL: Key (id)=(<int>) already exists.'],
  ['relation "users" does not exist', 'relation "users" does not exist'],
  [
    'null value in column "name" of relation "users" violates not-null constraint',
    'null value in column "name" of relation "users" violates not-null constraint',
  ],
  ['invalid input syntax for type uuid: "123"', 'invalid input syntax for type uuid: "<int>"'],
  ['invalid input syntax for type integer: "12abc"', 'invalid input syntax for type integer: "<str>"'],
  [
    'ERROR: duplicate key value violates unique constraint "orders_pkey" (SQLSTATE 23505)',
    'ERROR: duplicate key value violates unique constraint "orders_pkey" (SQLSTATE 23505)',
  ],
  ['value too long for type character varying(255)', 'value too long for type character varying(<int>)'],
  [
    'connection to server at "10.0.0.5", port 5432 failed: Connection refused',
    'connection to server at "<ip>", port <int> failed: Connection refused',
  ],
  ['FATAL: password authentication failed for user "app"', 'FATAL: password authentication failed for user "app"'],
  ['canceling statement due to statement timeout', 'canceling statement due to statement timeout'],
  // MySQL
  ["Duplicate entry 'foo@bar.com' for key 'users.email'", "Duplicate entry '<email>' for key 'users.email'"],
  ["Data too long for column 'name' at row 1", "Data too long for column 'name' at row <int>"],
  ["Unknown column 'foo' in 'field list'", "Unknown column 'foo' in 'field list'"],
  ["Table 'shop.orders' doesn't exist", "Table 'shop.orders' doesn't exist"],
  [
    "Access denied for user 'root'@'10.0.0.7' (using password: YES)",
    "Access denied for user 'root'@'<ip>' (using password: YES)",
  ],
  ["Can't connect to MySQL server on '10.0.0.5:3306' (111)", "Can't connect to MySQL server on '<ip>:<port>' (<int>)"],
  ['ERROR 1045 (28000): Access denied for user', 'ERROR 1045 (<int>): Access denied for user'],
  [
    'ER_LOCK_DEADLOCK: Deadlock found when trying to get lock; try restarting transaction',
    'ER_LOCK_DEADLOCK: Deadlock found when trying to get lock; try restarting transaction',
  ],
  // Redis
  ['MOVED 3999 127.0.0.1:6381', 'MOVED <int> <ip>:<port>'],
  ["READONLY You can't write against a read only replica.", "READONLY You can't write against a read only replica."],
  [
    "OOM command not allowed when used memory > 'maxmemory'.",
    "OOM command not allowed when used memory > 'maxmemory'.",
  ],
  ['Connection timeout after 10000ms', 'Connection timeout after <duration>'],
  // HTTP clients
  ['Request failed with status code 503', 'Request failed with status code 503'],
  ['getaddrinfo ENOTFOUND api.example.com', 'getaddrinfo ENOTFOUND api.example.com'],
  ['timeout of 5000ms exceeded', 'timeout of <duration> exceeded'],
  [
    "HTTPSConnectionPool(host='api.stripe.com', port=443): Read timed out. (read timeout=30)",
    "HTTPSConnectionPool(host='<value>', port=<int>): Read timed out. (read timeout=<int>)",
  ],
  [
    'Get "https://api.example.com/v1/users/42?expand=orders": context deadline exceeded',
    'Get "<url>": context deadline exceeded',
  ],
  [
    'unexpected status 502 Bad Gateway from https://upstream.internal/health',
    'unexpected status 502 Bad Gateway from <url>',
  ],
  ['HTTP/1.1 503 Service Unavailable', 'HTTP/1.1 503 Service Unavailable'],
  // gRPC
  [
    'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing dial tcp 10.2.3.4:50051: connect: connection refused"',
    'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing dial tcp <ip>:<port>: connect: connection refused"',
  ],
  [
    'rpc error: code = DeadlineExceeded desc = context deadline exceeded',
    'rpc error: code = DeadlineExceeded desc = context deadline exceeded',
  ],
  [
    '4 DEADLINE_EXCEEDED: Deadline exceeded after 29.998s',
    '<int> DEADLINE_EXCEEDED: Deadline exceeded after <duration>',
  ],
  // Kafka
  [
    "Topic 'orders' not present in metadata after 60000 ms.",
    "Topic 'orders' not present in metadata after <duration>.",
  ],
  [
    'Offset commit failed on partition orders-3 at offset 1829342: The coordinator is not aware of this member.',
    'Offset commit failed on partition orders-3 at offset <int>: The coordinator is not aware of this member.',
  ],
  [
    'KafkaJSConnectionError: Connection timeout (broker kafka-2.kafka.svc:9092)',
    'KafkaJSConnectionError: Connection timeout (broker <host>:<port>)',
  ],
  // JVM
  ['java.lang.OutOfMemoryError: Java heap space', 'java.lang.OutOfMemoryError: Java heap space'],
  [
    'HikariPool-1 - Connection is not available, request timed out after 30000ms.',
    'HikariPool-1 - Connection is not available, request timed out after <duration>.',
  ],
  [
    'java.lang.NullPointerException: Cannot invoke "String.length()" because "name" is null',
    'java.lang.NullPointerException: Cannot invoke "String.length()" because "name" is null',
  ],
  [
    'java.lang.NumberFormatException: For input string: "12a"',
    'java.lang.NumberFormatException: For input string: "<str>"',
  ],
  ['Index 5 out of bounds for length 3', 'Index <int> out of bounds for length <int>'],
  ['Timed out after PT30S', 'Timed out after <duration>'],
  // Python
  ["KeyError: 'user_id'", "KeyError: 'user_id'"],
  ["'NoneType' object has no attribute 'get'", "'NoneType' object has no attribute 'get'"],
  ["invalid literal for int() with base 10: 'abc'", "invalid literal for int() with base <int>: 'abc'"],
  ["[Errno 2] No such file or directory: '/tmp/foo.txt'", "[Errno 2] No such file or directory: '<path>'"],
  ['Expecting value: line 1 column 1 (char 0)', 'Expecting value: line <int> column <int> (char <int>)'],
  ["dtype('float64') cannot be cast to dtype('int64')", "dtype('float64') cannot be cast to dtype('int64')"],
  // Node
  ["Cannot read properties of undefined (reading 'id')", "Cannot read properties of undefined (reading 'id')"],
  [
    "ENOENT: no such file or directory, open '/app/config/settings.json'",
    "ENOENT: no such file or directory, open '<path>'",
  ],
  ['Unexpected token < in JSON at position 0', 'Unexpected token < in JSON at position <int>'],
  ['EADDRINUSE: address already in use :::3000', 'EADDRINUSE: address already in use <ip>:<port>'],
  ['connect ECONNREFUSED 127.0.0.1:6379', 'connect ECONNREFUSED <ip>:<port>'],
  ["Error: EACCES: permission denied, mkdir '/root/.npm/_cacache'", "Error: EACCES: permission denied, mkdir '<path>'"],
  // Go
  ['dial tcp 10.0.0.1:5432: connect: connection refused', 'dial tcp <ip>:<port>: connect: connection refused'],
  [
    'read tcp 10.1.2.3:54321->10.1.2.4:443: read: connection reset by peer',
    'read tcp <ip>:<port>-><ip>:<port>: read: connection reset by peer',
  ],
  [
    'panic: runtime error: index out of range [5] with length 3',
    'panic: runtime error: index out of range [<int>] with length <int>',
  ],
  ['strconv.Atoi: parsing "abc": invalid syntax', 'strconv.Atoi: parsing "abc": invalid syntax'],
  ['open /var/lib/app/data/cache-7f3a9c.db: no such file or directory', 'open <path>: no such file or directory'],
  ['exit status 137', 'exit status 137'],
  // .NET
  [
    'System.Data.SqlClient.SqlException (0x80131904): Timeout expired.',
    'System.Data.SqlClient.SqlException (<hex>): Timeout expired.',
  ],
  ["The given key '42' was not present in the dictionary.", "The given key '<int>' was not present in the dictionary."],
  ["Could not find file 'C:\\inetpub\\wwwroot\\App_Data\\config.json'.", "Could not find file '<path>'."],
  ["Value cannot be null. (Parameter 'connectionString')", "Value cannot be null. (Parameter 'connectionString')"],
  // Ruby
  ["undefined method `foo' for nil:NilClass", "undefined method `foo' for nil:NilClass"],
  [
    "ActiveRecord::RecordNotFound: Couldn't find Order with 'id'=98765",
    "ActiveRecord::RecordNotFound: Couldn't find Order with 'id'=<int>",
  ],
  ['Net::ReadTimeout with #<TCPSocket:(closed)>', 'Net::ReadTimeout with #<TCPSocket:(closed)>'],
  // PHP
  [
    'Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)',
    'Allowed memory size of <size> exhausted (tried to allocate <size>)',
  ],
  [
    'Uncaught Error: Call to a member function format() on null in /var/www/app/src/Service.php:88',
    'Uncaught Error: Call to a member function format() on null in <path>:<int>',
  ],
  ['Undefined array key "user_id"', 'Undefined array key "user_id"'],
  // Kubernetes
  ['pods "web-7d9f8b6c4-x2k9z" not found', 'pods "<token>" not found'],
  ['nodes "ip-10-0-1-23.ec2.internal" not found', 'nodes "<str>" not found'],
  [
    'Back-off restarting failed container app in pod web-7d9f8b6c4-x2k9z_default(3f0b8a1e-9c2d-4e5f-8a7b-1c2d3e4f5a6b)',
    'Back-off restarting failed container app in pod <token>(<uuid>)',
  ],
  [
    'Error: ImagePullBackOff: Back-off pulling image "registry.example.com/shop/api:v2.14.1"',
    'Error: ImagePullBackOff: Back-off pulling image "registry.example.com/shop/api:<version>"',
  ],
  ['OOMKilled: container exceeded memory limit of 512Mi', 'OOMKilled: container exceeded memory limit of <size>'],
  ['0/3 nodes are available: 3 Insufficient cpu.', '<int>/<int> nodes are available: <int> Insufficient cpu.'],
  [
    'Liveness probe failed: HTTP probe failed with statuscode: 500',
    'Liveness probe failed: HTTP probe failed with statuscode: 500',
  ],
];

describe('parameterize: real-world messages', () => {
  it('covers many runtimes and services', () => {
    expect(REAL_WORLD.length).toBeGreaterThanOrEqual(60);
  });

  it.each(REAL_WORLD)('%s', (message, template) => {
    expect(t(message)).toBe(template);
  });
});

interface Pair {
  a: string;
  b: string;
  why: string;
}
const corpus = JSON.parse(
  readFileSync(new URL('../../test/fixtures/messages/grouping.json', import.meta.url), 'utf8'),
) as { together: Pair[]; apart: Pair[] };

describe('parameterize: grouping corpus', () => {
  it('has enough hard pairs both ways', () => {
    expect(corpus.together.length).toBeGreaterThanOrEqual(25);
    expect(corpus.apart.length).toBeGreaterThanOrEqual(25);
  });

  it.each(corpus.together)('groups $a | $b ($why)', ({ a, b }) => {
    expect(t(a)).toBe(t(b));
  });

  it.each(corpus.apart)('separates $a | $b ($why)', ({ a, b }) => {
    expect(t(a)).not.toBe(t(b));
  });
});

describe('parameterize: kinds of values', () => {
  it.each([
    ['mail alice.smith+tag@example.co.uk bounced', 'mail <email> bounced'],
    ['fetch https://example.com/a/b?c=d#e failed', 'fetch <url> failed'],
    ['see (https://example.com/docs).', 'see (<url>).'],
    ['redis://cache:6379/0 unreachable', '<url> unreachable'],
    ['peer 192.168.1.20 gone', 'peer <ip> gone'],
    ['peer 192.168.1.20:8443 gone', 'peer <ip>:<port> gone'],
    ['peer 2001:db8::8a2e:370:7334 gone', 'peer <ip> gone'],
    ['peer fe80::1%eth0 gone', 'peer <ip> gone'],
    ['listen on [::1]:8080 failed', 'listen on <ip>:<port> failed'],
    ['peer ::ffff:10.0.0.1 gone', 'peer <ip> gone'],
    ['Foo::Bar and a :: b stay', 'Foo::Bar and a :: b stay'],
    ['connect to db-1.prod.internal:5432 failed', 'connect to <host>:<port> failed'],
    ['connect to localhost:3000 failed', 'connect to <host>:<port> failed'],
    ['nic 00:1A:2B:3C:4D:5E down', 'nic <mac> down'],
    ['order 123e4567-E89B-12d3-A456-426614174000 lost', 'order <uuid> lost'],
    ['trace 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 dropped', 'trace <traceparent> dropped'],
    ['md5 9e107d9d372bb6826bd81d3542a419d6 mismatch', 'md5 <hash> mismatch'],
    ['sha1 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12 mismatch', 'sha1 <hash> mismatch'],
    ['sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 mismatch', 'sha256 <hash> mismatch'],
    ['commit 1a2b3c4 is not on main', 'commit <hash> is not on main'],
    ['span 00f067aa0ba902b7 orphaned', 'span <hex> orphaned'],
    ['segfault at 0x7ffd5fbff000', 'segfault at <hex>'],
    ['object 507f1f77bcf86cd799439011 missing', 'object <hex> missing'],
    ['deadbeef and facade are words', 'deadbeef and facade are words'],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlX2hlcmU rejected', 'jwt <token> rejected'],
    ['key AKIAZ3MSJV4WWOHZDTPM revoked', 'key <token> revoked'],
    ['session c2Vzc2lvbjEyMzQ1Njc4OTA= expired', 'session <token> expired'],
    ['at 2024-01-15T10:00:00Z', 'at <timestamp>'],
    ['at 2024-01-15T10:00:00.123456+05:30', 'at <timestamp>'],
    ['at 2024-01-15 10:00:00,123', 'at <timestamp>'],
    ['at 2009-11-10 23:00:00 +0000 UTC', 'at <timestamp>'],
    ['at 2009/11/10 23:00:00', 'at <timestamp>'],
    ['at 10/Oct/2000:13:55:36 -0700', 'at <timestamp>'],
    ['at Mon, 02 Jan 2006 15:04:05 GMT', 'at <timestamp>'],
    ['at Tue Nov 28 10:00:00 UTC 2026', 'at <timestamp>'],
    ['at Jan 2 15:04:05 host', 'at <timestamp> host'],
    ['due 2024-01-15', 'due <date>'],
    ['due 01/15/2024', 'due <date>'],
    ['due 15.01.2024', 'due <date>'],
    ['due 15 Jan 2024', 'due <date>'],
    ['due January 15, 2024', 'due <date>'],
    ['backup-2024-01-15 failed', 'backup-<date> failed'],
    ['at 12:30:45', 'at <time>'],
    ['at 12:30:45.123', 'at <time>'],
    ['wait 30s', 'wait <duration>'],
    ['wait 1.5ms', 'wait <duration>'],
    ['wait 250 ms', 'wait <duration>'],
    ['wait 2m30s', 'wait <duration>'],
    ['wait 1h2m3.5s', 'wait <duration>'],
    ['wait 10 seconds', 'wait <duration>'],
    ['wait 5min', 'wait <duration>'],
    ['wait 3 days', 'wait <duration>'],
    ['wait 500µs', 'wait <duration>'],
    ['limit 10MB', 'limit <size>'],
    ['limit 512 KiB', 'limit <size>'],
    ['limit 1.5GB', 'limit <size>'],
    ['limit 100 bytes', 'limit <size>'],
    ['limit 100kb', 'limit <size>'],
    ['limit 2Gi', 'limit <size>'],
    ['read /var/lib/x/y.db failed', 'read <path> failed'],
    ['read ./config/app.yaml failed', 'read <path> failed'],
    ['read ../shared/app.yaml failed', 'read <path> failed'],
    ['read ~/.config/app/settings.toml failed', 'read <path> failed'],
    ['read src/app/main.ts failed', 'read <path> failed'],
    ['read C:\\x\\y failed', 'read <path> failed'],
    ['read C:\\Program Files\\App\\app.exe failed', 'read <path> failed'],
    ['read C:/Users/app/data.db failed', 'read <path> failed'],
    ['read \\\\fileserver\\share\\report.xlsx failed', 'read <path> failed'],
    ['see /var/log/app.log.', 'see <path>.'],
    ['and/or application/json / and a/b stay', 'and/or application/json / and a/b stay'],
    ['/tmp alone is too short to be sure', '/tmp alone is too short to be sure'],
    ['panic at main.go:42', 'panic at main.go:<int>'],
    ['at (Foo.java:120)', 'at (Foo.java:<int>)'],
    ['at /app/src/index.js:10:5', 'at <path>:<int>:<int>'],
  ])('%s', (message, template) => {
    expect(t(message)).toBe(template);
  });
});

describe('parameterize: numbers', () => {
  it.each([
    ['took 42 tries', 'took <int> tries'],
    ['offset -5', 'offset <int>'],
    ['ratio 0.75', 'ratio <float>'],
    ['ratio -2.5e10', 'ratio <float>'],
    ['ratio 1e-9', 'ratio <float>'],
    ['range 10-20', 'range <int>-<int>'],
    ['order #12345', 'order #<int>'],
    ['load 95%', 'load <int>%'],
    ['price $5.00', 'price $<float>'],
    ['line 3.', 'line <int>.'],
    // Digits glued to a word are part of a name or a code.
    ['node42 down', 'node42 down'],
    ['db-1 down', 'db-1 down'],
    ['worker_7 down', 'worker_7 down'],
    ['ORA-00942 raised', 'ORA-00942 raised'],
    ['E11000 duplicate key', 'E11000 duplicate key'],
    ['utf8 x86_64 sha256 ipv4 http2 TLSv1.2', 'utf8 x86_64 sha256 ipv4 http2 TLSv1.2'],
    ['host ip-10-0-1-23 down', 'host ip-10-0-1-23 down'],
    ['utf-8 and ISO-8859-1', 'utf-8 and ISO-8859-1'],
    // Versions.
    ['upgrade to v1.2.3', 'upgrade to <version>'],
    ['upgrade to 1.2.3-beta.1+build.5', 'upgrade to <version>'],
    ['upgrade to v2.0', 'upgrade to <version>'],
    ['upgrade to 1.2.3.', 'upgrade to <version>.'],
    ['build 10.0.19041.1', 'build <version>'],
    // Status and error codes say which failure: they stay.
    ['status code 503', 'status code 503'],
    ['status: 404', 'status: 404'],
    ['statusCode: 500', 'statusCode: 500'],
    ['HTTP 502', 'HTTP 502'],
    ['HTTP/1.1 504 Gateway Timeout', 'HTTP/1.1 504 Gateway Timeout'],
    ['[Errno 111] Connection refused', '[Errno 111] Connection refused'],
    ['exit code 137', 'exit code 137'],
    ['Exit Code: 1', 'Exit Code: 1'],
    ['killed by signal 9', 'killed by signal 9'],
    ['ERROR 1062 (23000)', 'ERROR 1062 (<int>)'],
    ['grpc code = 14', 'grpc code = 14'],
    ['errno -111', 'errno -111'],
    // ...but not six-digit one-time codes, nor counts that merely follow the word.
    ['verification code 123456 rejected', 'verification code <int> rejected'],
    ['status of 3 jobs unknown', 'status of <int> jobs unknown'],
    ['failed with 500 errors', 'failed with <int> errors'],
  ])('%s', (message, template) => {
    expect(t(message)).toBe(template);
  });
});

describe('parameterize: quoted values', () => {
  it.each([
    // Names from the schema or the code stay...
    ['column "email" does not exist', 'column "email" does not exist'],
    ["No module named 'yaml'", "No module named 'yaml'"],
    ['missing `config.yaml`', 'missing `config.yaml`'],
    ["KeyError: 'user_id'", "KeyError: 'user_id'"],
    ["collation 'utf8mb4_unicode_ci'", "collation 'utf8mb4_unicode_ci'"],
    ["header 'application/json'", "header 'application/json'"],
    ["secret 'db-creds' missing", "secret 'db-creds' missing"],
    ["type 'int[]'", "type 'int[]'"],
    // ...typed values inside quotes are replaced in place...
    ["user '42'", "user '<int>'"],
    ["mail 'a@b.io'", "mail '<email>'"],
    ["file '/etc/app.conf'", "file '<path>'"],
    ["key 'user:1234'", "key 'user:<int>'"],
    ['at "2024-01-15T10:00:00Z"', 'at "<timestamp>"'],
    // ...other single tokens are data...
    ["KeyError: 'sku-1'", "KeyError: '<str>'"],
    ["pod 'redis-0' failed", "pod '<str>' failed"],
    ["value 'abc123'", "value '<str>'"],
    ["value 'a+b'", "value '<str>'"],
    // ...and quoted prose keeps its words.
    ["message 'disk full on 10.0.0.1'", "message 'disk full on <ip>'"],
    ['said "connection refused"', 'said "connection refused"'],
    // Apostrophes are not quotes; empty and unterminated quotes stay.
    ["can't find user's file", "can't find user's file"],
    ["value '' is empty", "value '' is empty"],
    ["unterminated 'quote 42", "unterminated 'quote <int>"],
  ])('%s', (message, template) => {
    expect(t(message)).toBe(template);
  });
});

describe('parameterize: key=value', () => {
  it.each([
    ['user_id=42', 'user_id=<int>'],
    ['user=alice', 'user=<value>'],
    ['user=alice@example.com', 'user=<email>'],
    ['host=db-1:5432', 'host=<host>:<port>'],
    ['enabled=true', 'enabled=<bool>'],
    ['enabled=False', 'enabled=<bool>'],
    ['user=null', 'user=null'],
    ['user=None', 'user=None'],
    ['status=active', 'status=active'],
    ['status=503', 'status=503'],
    ['code=ER_DUP_ENTRY', 'code=ER_DUP_ENTRY'],
    ['sqlstate=40P01', 'sqlstate=40P01'],
    ['exit_code=137', 'exit_code=137'],
    ['state=OPEN', 'state=OPEN'],
    ['reason=timeout', 'reason=timeout'],
    ['method=GET', 'method=GET'],
    ['table=users', 'table=users'],
    ['table=users_2024', 'table=<value>'],
    ['name="alice"', 'name="<value>"'],
    ['msg="took 30s to respond"', 'msg="took <duration> to respond"'],
    ['token=abc123== end', 'token=<value> end'],
    ['a=1,b=2;c=x', 'a=<int>,b=<int>;c=<value>'],
    ['x == y', 'x == y'],
    ['a=b=c', 'a=<value>=c'],
  ])('%s', (message, template) => {
    expect(t(message)).toBe(template);
  });
});

describe('parameterize: counts', () => {
  it('counts each kind of replaced value', () => {
    const result = parameterize(
      'user 42 (alice@example.com) from 10.0.0.1:443 and 10.0.0.2 failed 3 times after 30s at 2024-01-15T10:00:00Z',
    );
    expect(result.template).toBe(
      'user <int> (<email>) from <ip>:<port> and <ip> failed <int> times after <duration> at <timestamp>',
    );
    expect(result.counts).toEqual({ int: 2, email: 1, ip: 2, port: 1, duration: 1, timestamp: 1 });
    expect(result.truncated).toBe(false);
  });

  it('has no counts when nothing was replaced', () => {
    expect(parameterize('connection refused')).toEqual({
      template: 'connection refused',
      counts: {},
      truncated: false,
    });
    expect(parameterize('status code 503').counts).toEqual({});
  });

  it('counts every element of a collapsed list', () => {
    const result = parameterize('ids [1, 2, 3, 4] failed');
    expect(result.template).toBe('ids [<int>, ...] failed');
    expect(result.counts).toEqual({ int: 4 });
    expect(t('hosts 10.0.0.1,10.0.0.2,10.0.0.3')).toBe('hosts <ip>, ...');
    expect(t("tags 'x-1', 'x-2'")).toBe("tags '<str>', ...");
  });

  it('counts values inside quotes and key=value pairs', () => {
    expect(parameterize("k='10.0.0.1' v=7 w=x").counts).toEqual({ ip: 1, int: 1, value: 1 });
  });
});

describe('parameterize: normalisation and truncation', () => {
  it('collapses whitespace, trims, and drops terminal colours', () => {
    expect(t('  a\t\tb\r\n c\u00a0 d  ')).toBe('a b c d');
    expect(t('\u001b[1;31mERROR\u001b[0m disk full')).toBe('ERROR disk full');
    expect(t('')).toBe('');
    expect(t(' \n\t ')).toBe('');
  });

  it('reads at most MAX_INPUT_CHARS and says so', () => {
    const long = `user 42 not found ${'lorem ipsum '.repeat(400)}`;
    const result = parameterize(long);
    expect(result.truncated).toBe(true);
    expect(result.template.startsWith('user <int> not found lorem ipsum')).toBe(true);
    expect(result.template.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(result.template.length).toBeLessThanOrEqual(MAX_TEMPLATE_CHARS + TRUNCATION_MARKER.length);
  });

  it('cuts at a word boundary, so a value cut in half does not change kind', () => {
    const head = 'x'.repeat(MAX_INPUT_CHARS - 20);
    const a = parameterize(`${head} id 123e4567-e89b-12d3-a456-426614174000 rest`);
    const b = parameterize(`${head} id 98765432-e89b-12d3-a456-426614174000 rest`);
    expect(a.truncated).toBe(true);
    expect(a.template).toBe(b.template);
    expect(a.template).not.toContain('e89b');
  });

  it('never leaves half a surrogate pair', () => {
    const result = parameterize('🔥'.repeat(MAX_INPUT_CHARS));
    expect(result.truncated).toBe(true);
    expect(result.template.endsWith(`🔥${TRUNCATION_MARKER}`)).toBe(true);
    expect(() => encodeURIComponent(result.template)).not.toThrow();
  });

  it('caps the template at MAX_TEMPLATE_CHARS without cutting a placeholder', () => {
    const result = parameterize('1 '.repeat(900));
    expect(result.truncated).toBe(true);
    expect(result.template.length).toBeLessThanOrEqual(MAX_TEMPLATE_CHARS + TRUNCATION_MARKER.length);
    expect(result.template.replace(TRUNCATION_MARKER, '')).toMatch(/^(<int> )*<int>$/);
  });

  it('handles a 1 MB message by reading its head only', () => {
    const huge = `timeout after 30s ${'lorem '.repeat(200_000)}`;
    const result = parameterize(huge);
    expect(result.truncated).toBe(true);
    expect(result.template).toMatch(/^timeout after <duration> (lorem )+lorem <truncated>$/);
    // With no space near the cap, the cut falls inside the word.
    const unbroken = parameterize(`timeout after 30s ${'x'.repeat(1_000_000)}`).template;
    expect(unbroken).toMatch(/^timeout after <duration> x+ <truncated>$/);
    expect(unbroken.length).toBe(MAX_TEMPLATE_CHARS + TRUNCATION_MARKER.length);
  });

  it('gives messages under the caps unchanged lengths of text between values', () => {
    const exact = `${'a '.repeat(500)}end`;
    expect(parameterize(exact)).toEqual({ template: exact, counts: {}, truncated: false });
  });
});

describe('parameterize: determinism', () => {
  const samples = [...REAL_WORLD.map(([m]) => m), ...corpus.together.flatMap((p) => [p.a, p.b])];

  it('returns the same template for the same input, in any order and after any other input', () => {
    const first = samples.map(t);
    const reversed = [...samples].reverse().map(t).reverse();
    const interleaved = samples.map((m, i) => {
      t(samples[(i * 7) % samples.length] ?? '');
      return t(m);
    });
    expect(reversed).toEqual(first);
    expect(interleaved).toEqual(first);
  });

  it('is idempotent on its own templates for plain text', () => {
    for (const message of ['connection refused', 'user <int> not found', 'column "email" does not exist']) {
      expect(t(t(message))).toBe(t(message));
    }
  });

  it('has a versioned configuration id', () => {
    expect(PARAMETERIZE_VERSION).toMatch(/^param:\d{4}-\d{2}-\d{2}$/);
  });
});

describe('parameterize: unicode', () => {
  it.each([
    ['Пользователь 42 не найден', 'Пользователь <int> не найден'],
    ['пользователь42 не найден', 'пользователь42 не найден'],
    ['ユーザー42が見つかりません', 'ユーザー<int>が見つかりません'],
    ['データベース接続がタイムアウトしました (5000ms)', 'データベース接続がタイムアウトしました (<duration>)'],
    ['用户 "张三" 不存在', '用户 "张三" 不存在'],
    ['🔥 failed to process order #12345 🔥', '🔥 failed to process order #<int> 🔥'],
    ['שגיאה: המשתמש 42 לא נמצא', 'שגיאה: המשתמש <int> לא נמצא'],
    ['خطأ: المستخدم 42 غير موجود', 'خطأ: المستخدم <int> غير موجود'],
    ['Ошибка: файл /tmp/данные/отчёт.csv не найден', 'Ошибка: файл <path> не найден'],
    ['naïve café 3 times', 'naïve café <int> times'],
    ['lone surrogate \ud800 and 7', 'lone surrogate \ud800 and <int>'],
  ])('%s', (message, template) => {
    expect(t(message)).toBe(template);
  });
});

describe('parameterize: adversarial input', () => {
  // Every case is at least MAX_INPUT_CHARS long, so each regex sees 2000 characters of the worst shape; a
  // rule with exponential (or bad polynomial) backtracking would not finish within the test timeout.
  it.each([
    ['100k a', 'a'.repeat(100_000), /^a+ <truncated>$/],
    ['1.1.1.1...', '1.'.repeat(50_000), /^<version>\. <truncated>$/],
    ['1:1:1:1...', '1:'.repeat(50_000), /^(<int>:)+<int>:? <truncated>$/],
    ['a-a-a-a...', 'a-'.repeat(50_000), /^(a-)+a?-? <truncated>$/],
    ['1-1-1-1...', '1-'.repeat(50_000), /^(<int>-)+<int>-? <truncated>$/],
    ['a.a.a.a...', 'a.'.repeat(50_000), /^(a\.)+a?\.? <truncated>$/],
    ['a=a=a=a...', 'a='.repeat(50_000), /^a=<value>=/],
    ['a@a@a@a...', 'a@'.repeat(50_000), /^(a@)+a?@? <truncated>$/],
    ['quotes', "'".repeat(100_000), /^'+ <truncated>$/],
    ['open double quotes', '"a '.repeat(50_000), /^("a )+/],
    ['colons', ':'.repeat(100_000), /^:+ <truncated>$/],
    ['hex run', '0123456789abcdef'.repeat(10_000), /^<hex> <truncated>$/],
    ['token run', 'aB3'.repeat(50_000), /^<token> <truncated>$/],
    ['slashes', '/a'.repeat(50_000), /^<path> <truncated>$/],
    ['unterminated windows path', `C:\\${'a b '.repeat(50_000)}`, /^<path> b a b/],
    ['email-like local part', `${'a.'.repeat(40)}@${'b.'.repeat(50_000)}`, /^(a\.)+@/],
    ['digit words', '1 '.repeat(50_000), /^(<int> )+<int> <truncated>$/],
    ['month names', 'Mon '.repeat(30_000), /^(Mon )+Mon <truncated>$/],
    ['ipv6-like', 'ab:'.repeat(50_000), /^<mac>/],
    ['durations', '1s'.repeat(50_000), /^<duration> <truncated>$/],
    ['nested quotes', `"'${'`"\''.repeat(30_000)}`, /<truncated>$/],
  ])(
    '%s',
    (_name, input, expected) => {
      const result = parameterize(input);
      expect(result.truncated).toBe(true);
      expect(result.template).toMatch(expected);
    },
    10_000,
  );
});
