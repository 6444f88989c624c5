import { describe, expect, it } from 'vitest';
import { framePathOf } from './frame-path.js';

const ok = (file: string, module?: string) => {
  const result = framePathOf({ file, ...(module ? { module } : {}) });
  if (!result.ok) throw new Error(`expected a usable path for ${file}: ${result.detail}`);
  return result.path;
};

describe('framePathOf', () => {
  it.each([
    ['/app/src/orders/service.py', ['src', 'orders', 'service.py'], '/app'],
    ['/usr/src/app/src/invoice.js', ['src', 'invoice.js'], '/usr/src/app'],
    [
      '/home/runner/work/shop/shop/internal/cart/cart.go',
      ['internal', 'cart', 'cart.go'],
      '/home/runner/work/shop/shop',
    ],
    ['/var/task/handler.py', ['handler.py'], '/var/task'],
    ['/opt/billing/lib/tax.rb', ['lib', 'tax.rb'], '/opt/billing'],
    ['/builds/acme/shop/app/models/user.rb', ['app', 'models', 'user.rb'], '/builds/acme/shop'],
  ])('strips the container or CI prefix of %s', (file, relative, prefix) => {
    const path = ok(file);
    expect(path.relative).toEqual(relative);
    expect(path.strippedPrefix).toBe(prefix);
    expect(path.segments.slice(-relative.length)).toEqual(relative);
  });

  it('reads webpack, file:// and http URLs, dropping query strings', () => {
    expect(ok('webpack:///./src/components/Cart.tsx').relative).toEqual(['src', 'components', 'Cart.tsx']);
    expect(ok('webpack://shop-ui/./src/api.ts?abcd').relative).toEqual(['src', 'api.ts']);
    expect(ok('file:///app/src/server.mjs').relative).toEqual(['src', 'server.mjs']);
    expect(ok('file:///usr/src/app/my%20dir/x.js').relative).toEqual(['my dir', 'x.js']);
    expect(ok('https://cdn.example.com/static/js/main.js#L1').segments).toEqual(['static', 'js', 'main.js']);
  });

  it('handles Windows drive and UNC paths, and CI checkouts on Windows', () => {
    expect(ok('C:\\Users\\dev\\source\\repos\\Shop\\Orders\\OrderService.cs').relative).toEqual([
      'Orders',
      'OrderService.cs',
    ]);
    expect(ok('D:\\a\\shop\\shop\\src\\Api\\Program.cs').relative).toEqual(['src', 'Api', 'Program.cs']);
    expect(ok('\\\\build01\\share\\src\\Api\\Program.cs').segments).toEqual(['src', 'Api', 'Program.cs']);
    expect(ok('file:///C:/work/app/main.py').segments).toEqual(['work', 'app', 'main.py']);
  });

  it('strips the host/owner/repo of a Go module path', () => {
    const path = ok('github.com/acme/shop/internal/cart/cart.go');
    expect(path.relative).toEqual(['internal', 'cart', 'cart.go']);
    expect(path.strippedPrefix).toBe('github.com/acme/shop');
  });

  it('rebuilds a JVM path from the package when the frame has only a file name', () => {
    const path = ok('StockLevels.java', 'com.acme.inventory.StockLevels');
    expect(path.segments).toEqual(['com', 'acme', 'inventory', 'StockLevels.java']);
    expect(path.fromPackage).toBe(true);
    expect(ok('Outer.kt', 'com.acme.Outer$Inner').segments).toEqual(['com', 'acme', 'Outer.kt']);
  });

  it('keeps relative paths and collapses . and .. without climbing above the start', () => {
    expect(ok('src/./lib/../util.py').segments).toEqual(['src', 'util.py']);
    expect(ok('/app/../../../etc/passwd').segments).toEqual(['etc', 'passwd']);
    expect(ok('../../secrets.py').segments).toEqual(['secrets.py']);
  });

  it('keeps a file:// URL with a malformed escape as printed', () => {
    expect(ok('file:///app/src/100%.py').relative).toEqual(['src', '100%.py']);
  });

  it('never strips the file name itself', () => {
    expect(ok('/app/main.py').relative).toEqual(['main.py']);
    expect(ok('/app').relative).toEqual(['app']);
  });

  it.each([
    [undefined, 'no-file'],
    ['', 'no-file'],
    ['/', 'no-file'],
    ['x'.repeat(5000), 'no-file'],
    ['node:internal/process/task_queues', 'runtime-internal'],
    ['internal/modules/cjs/loader.js', 'runtime-internal'],
    ['<frozen importlib._bootstrap>', 'runtime-internal'],
    ['native', 'runtime-internal'],
    ['/usr/local/go/src/runtime/panic.go', 'runtime-internal'],
    ['/app/node_modules/express/lib/router/layer.js', 'dependency'],
    ['/usr/local/lib/python3.12/site-packages/flask/app.py', 'dependency'],
    ['/usr/lib/python3.11/json/decoder.py', 'dependency'],
    ['/root/go/pkg/mod/github.com/lib/pq@v1.10.9/conn.go', 'dependency'],
  ])('refuses %s as %s', (file, reason) => {
    const result = framePathOf(file === undefined ? {} : { file });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe(reason);
  });
});
