import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startHarness } from './harness.js';

/** A throwaway self-signed certificate for localhost, made with the system's openssl. */
function selfSigned(): { certFile: string; keyFile: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    return { certFile, keyFile };
  } catch {
    return undefined;
  }
}

const tls = selfSigned();

describe.skipIf(tls === undefined)('native TLS', () => {
  it('serves HTTPS from server.tls and derives an https public URL', async () => {
    const h = await startHarness({ config: { server: { tls } } });
    try {
      expect(h.url.startsWith('https://')).toBe(true);
      const port = (h.gateway.app.server.address() as { port: number }).port;
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve(text));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(JSON.parse(body)).toEqual({ status: 'ok' });
      expect(h.gateway.config.server.publicUrl.startsWith('https://')).toBe(true);
    } finally {
      await h.close();
    }
  });
});
