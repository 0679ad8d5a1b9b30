import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubSecrets } from '../../src/logging.js';

function capture() {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { sink, text: () => text };
}

describe('no secrets in logs', () => {
  it.each([
    ['Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln', 'eyJhbGciOiJFUzI1NiJ9'],
    ['key sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX leaked', 'ABCDEFGHIJKLMNOP'],
    ['anthropic sk-ant-api03-ABCDEFGHIJKLMNOP', 'api03-ABCDEFGH'],
    ['google AIzaSyA-FAKEFAKEFAKEFAKEFAKEFAKE', 'FAKEFAKEFAKE'],
    ['postgres://rampart:hunter2secret@db:5432/x', 'hunter2secret'],
    ['DPoP eyJ0eXAiOiJkcG9wK2p3dCJ9.eyJqdGkiOiIxIn0.sig', 'eyJ0eXAiOiJkcG9wK2p3dCJ9'],
  ])('scrubSecrets removes the secret in %s', (text, secret) => {
    const scrubbed = scrubSecrets(text);
    expect(scrubbed).not.toContain(secret);
    expect(scrubbed).toContain('[REDACTED]');
  });

  it('redacts secret-bearing fields and content, and scrubs error messages', () => {
    const { sink, text } = capture();
    const logger = createLogger('info', sink);
    logger.info(
      { req: { headers: { authorization: 'Bearer abc.def.ghi', 'x-api-key': 'k-123' } } },
      'r',
    );
    logger.info(
      { provider: { apiKey: 'sk-should-not-appear-000000' }, messages: [{ content: 'my SSN' }] },
      'p',
    );
    logger.error(
      { err: new Error('upstream said: invalid key sk-proj-LEAKEDLEAKEDLEAKED01') },
      'e',
    );
    const out = text();
    for (const secret of [
      'abc.def.ghi',
      'k-123',
      'sk-should-not-appear',
      'my SSN',
      'LEAKEDLEAKED',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('[REDACTED]');
  });
});
