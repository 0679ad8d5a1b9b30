import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openKeyring } from '../../src/keys/index.js';
import { tempDir } from '../helpers/tmp.js';
import { failureOf, keyFile } from './fixtures.js';

describe('key file permissions', () => {
  it('a world-readable key file is refused with the file and the chmod fix', async () => {
    const dataDir = tempDir();
    await openKeyring({ dataDir, sources: {} });
    const file = keyFile(dataDir, 'oidc-signing');
    chmodSync(file, 0o644);
    const failure = await failureOf(() => openKeyring({ dataDir, sources: {} }));
    expect(failure.code).toBe('keys.insecure_permissions');
    expect(failure.message).toContain(file);
    expect(failure.message).toContain(`chmod 600 ${file}`);
  });

  it('a group-readable key file is refused too', async () => {
    const dataDir = tempDir();
    await openKeyring({ dataDir, sources: {} });
    chmodSync(keyFile(dataDir, 'data-kek'), 0o640);
    expect((await failureOf(() => openKeyring({ dataDir, sources: {} }))).code).toBe(
      'keys.insecure_permissions',
    );
  });

  it('an owner-only read-only key file (0400) is accepted', async () => {
    const dataDir = tempDir();
    await openKeyring({ dataDir, sources: {} });
    chmodSync(keyFile(dataDir, 'cookie-secret'), 0o400);
    await expect(openKeyring({ dataDir, sources: {} })).resolves.toBeDefined();
  });

  it('a keys directory open to others is refused with chmod 700', async () => {
    const dataDir = tempDir();
    await openKeyring({ dataDir, sources: {} });
    chmodSync(join(dataDir, 'keys'), 0o755);
    const failure = await failureOf(() => openKeyring({ dataDir, sources: {} }));
    expect(failure.code).toBe('keys.insecure_permissions');
    expect(failure.message).toContain(`chmod 700 ${join(dataDir, 'keys')}`);
  });

  it('a key source file readable by others is refused', async () => {
    const dataDir = tempDir();
    const source = join(dataDir, 'shared-cookie.json');
    writeFileSync(source, '{}', { mode: 0o644 });
    chmodSync(source, 0o644);
    const failure = await failureOf(() =>
      openKeyring({ dataDir, sources: { 'cookie-secret': { file: source } } }),
    );
    expect(failure.code).toBe('keys.insecure_permissions');
    expect(failure.message).toContain(source);
  });
});
