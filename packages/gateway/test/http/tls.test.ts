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

/** A GET over HTTPS to the gateway, trusting its self-signed certificate. */
function httpsGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers, rejectUnauthorized: false },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(tls === undefined)('native TLS', () => {
  it('serves HTTPS from server.tls and derives an https public URL, which DPoP proofs name', async () => {
    // No fixed public URL: the subject is the one the gateway derives from server.tls.
    const h = await startHarness({ config: { server: { tls } }, publicUrl: false });
    try {
      expect(h.url.startsWith('https://')).toBe(true);
      const port = (h.gateway.app.server.address() as { port: number }).port;
      const health = await httpsGet(port, '/healthz');
      expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
      expect(h.gateway.config.server.publicUrl.startsWith('https://')).toBe(true);
      const models = await httpsGet(port, '/v1/models', await h.auth('GET', '/v1/models'));
      expect(models.status).toBe(200);
      expect(JSON.parse(models.body)).toMatchObject({ object: 'list' });
    } finally {
      await h.close();
    }
  });
});
