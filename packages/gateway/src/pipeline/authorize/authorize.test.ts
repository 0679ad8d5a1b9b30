import { createDpopKey, dpopProof, startMockIssuer, type MockIssuer } from '@rampart/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/index.js';
import { gatewayStages } from '../index.js';
import { createModelRouter } from '../parse/router.js';
import {
  chatBody,
  pipelineApp,
  stubProvider,
  type PipelineTestApp,
} from '../pipeline.test-helpers.js';
import { requestedFeatures } from './features.js';

let issuer: MockIssuer;
beforeAll(async () => {
  issuer = await startMockIssuer();
});
afterAll(async () => {
  await issuer.close();
});

let t: PipelineTestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

const ROLES = {
  reader: [{ endpoints: ['chat', 'models'], aliases: ['chat'] }],
  streamer: [{ endpoints: ['chat'], aliases: ['chat'], features: ['stream', 'images'] }],
  embedder: [{ endpoints: ['embeddings', 'models'], aliases: ['embed'] }],
  admin: [
    { endpoints: ['chat', 'embeddings', 'models'], aliases: ['*'], features: ['tools'], mfa: true },
  ],
};

/** The gateway's own stage list, authenticated by the mock issuer, with three aliases. */
function app(server: Record<string, unknown> = {}) {
  const provider = stubProvider();
  t = pipelineApp({
    provider,
    router: createModelRouter([
      { alias: 'chat', kind: 'chat', provider, upstreamModel: 'upstream-model' },
      { alias: 'embed', kind: 'embeddings', provider, upstreamModel: 'upstream-embed' },
      {
        alias: 'secret-anthropic',
        kind: 'chat',
        provider,
        upstreamModel: 'upstream-secret',
        extraParameters: ['top_k'],
      },
    ]),
    config: {
      server,
      auth: {
        issuers: [{ issuer: issuer.issuer, jwksUri: issuer.jwksUri, audiences: [issuer.audience] }],
      },
      authz: { roles: ROLES },
    },
  });
  return { app: t, provider };
}

async function bearer(claims: Record<string, unknown>) {
  return `Bearer ${await issuer.accessToken(claims)}`;
}

function chat(a: PipelineTestApp, authorization: string, body: Record<string, unknown>) {
  return a.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization },
    payload: body,
  });
}

describe('stage authorize', () => {
  it('allows a granted request and refuses each missing requirement with its own code', async () => {
    const { app: a, provider } = app();
    const cases: Array<[string[], Record<string, unknown>, number, string | undefined]> = [
      [['reader'], chatBody(), 200, undefined],
      [[], chatBody(), 403, 'authz.endpoint_forbidden'],
      [['embedder'], chatBody(), 403, 'authz.endpoint_forbidden'],
      [['reader'], chatBody({ model: 'secret-anthropic' }), 403, 'authz.alias_forbidden'],
      [['reader'], chatBody({ stream: true }), 403, 'authz.feature_forbidden'],
      [['streamer'], chatBody({ stream: true }), 200, undefined],
      [
        ['admin'],
        chatBody({ tools: [{ type: 'function', function: { name: 'f' } }] }),
        403,
        'authz.mfa_required',
      ],
    ];
    for (const [roles, body, status, code] of cases) {
      const response = await chat(a, await bearer({ roles }), body);
      expect({ roles, body, status: response.statusCode }).toEqual({ roles, body, status });
      if (code !== undefined) expect(response.json()).toMatchObject({ code, status: 403 });
    }
    expect(provider.sent).toHaveLength(2);
  });

  it('names the features used in a feature refusal', async () => {
    const { app: a } = app();
    const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } };
    const response = await chat(
      a,
      await bearer({ roles: ['reader'] }),
      chatBody({ stream: true, messages: [{ role: 'user', content: [image] }] }),
    );
    expect(response.json()).toMatchObject({
      code: 'authz.feature_forbidden',
      features: ['images', 'stream'],
    });
  });

  it('refuses an endpoint before the body is read', async () => {
    const { app: a } = app();
    const response = await a.app.inject({
      method: 'POST',
      url: '/v1/embeddings',
      headers: {
        authorization: await bearer({ roles: ['reader'] }),
        'content-type': 'application/json',
      },
      payload: '{"model": "embed", "input": "x", "truncated',
    });
    // The body is malformed JSON: a 400 would mean it was read before the refusal.
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'authz.endpoint_forbidden' });
  });

  it('answers an MFA refusal with an RFC 9470 step-up challenge, and allows after step-up', async () => {
    const { app: a } = app();
    const body = chatBody({ tools: [{ type: 'function', function: { name: 'f' } }] });
    const refused = await chat(
      a,
      await bearer({ roles: ['admin'], acr: 'urn:rampart:acr:pwd', amr: ['pwd'] }),
      body,
    );
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'authz.mfa_required' });
    const challenge = refused.headers['www-authenticate'];
    expect(challenge).toMatch(/^Bearer realm="rampart", error="insufficient_user_authentication"/);
    expect(challenge).toContain(
      'acr_values="urn:rampart:acr:mfa urn:rampart:acr:phr http://schemas.openid.net/pape/policies/2007/06/multi-factor"',
    );
    const stepped = await chat(
      a,
      await bearer({ roles: ['admin'], acr: 'urn:rampart:acr:mfa' }),
      body,
    );
    expect(stepped.statusCode).toBe(200);
    const twoFactors = await chat(a, await bearer({ roles: ['admin'], amr: ['pwd', 'otp'] }), body);
    expect(twoFactors.statusCode).toBe(200);
  });

  it('challenges a DPoP-bound token to step up under the DPoP scheme', async () => {
    const publicUrl = 'https://ai.example.com';
    const { app: a } = app({ publicUrl });
    const device = await createDpopKey();
    const token = await issuer.accessToken({ roles: ['admin'], amr: ['pwd'] }, { dpop: device });
    const proof = await dpopProof(device, {
      htm: 'POST',
      htu: `${publicUrl}/v1/chat/completions`,
      accessToken: token,
    });
    const response = await a.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `DPoP ${token}`, dpop: proof },
      payload: chatBody({ tools: [{ type: 'function', function: { name: 'f' } }] }),
    });
    expect(response.json()).toMatchObject({ code: 'authz.mfa_required' });
    expect(response.headers['www-authenticate']).toMatch(
      /^DPoP realm="rampart", error="insufficient_user_authentication", error_description="[^"]+", acr_values="urn:rampart:acr:mfa /,
    );
  });

  it('gives a caller without rights the same answer for an alias that exists and one that does not', async () => {
    const { app: a } = app();
    const reader = await bearer({ roles: ['reader'] });
    const answers = [];
    for (const body of [
      chatBody({ model: 'secret-anthropic' }),
      chatBody({ model: 'no-such-model' }),
      // Would be 400 model.wrong_kind from parse: the alias exists, for embeddings.
      chatBody({ model: 'embed' }),
      // Would pass validation only for the alias whose provider enables top_k.
      chatBody({ model: 'secret-anthropic', top_k: 5 }),
      chatBody({ model: 'no-such-model', top_k: 5 }),
      chatBody({ model: 42 }),
    ]) {
      const response = await chat(a, reader, body);
      const { requestId: _id, ...problem } = response.json<Record<string, unknown>>();
      answers.push({
        status: response.statusCode,
        problem,
        length: response.body.length - String(_id).length,
      });
    }
    expect(answers[0]).toMatchObject({ status: 403, problem: { code: 'authz.alias_forbidden' } });
    for (const answer of answers) expect(answer).toEqual(answers[0]);
  });

  it('leaves unknown aliases to parse for a caller granted every alias', async () => {
    const { app: a } = app();
    const response = await chat(
      a,
      await bearer({ roles: ['admin'], acr: 'urn:rampart:acr:mfa' }),
      chatBody({ model: 'no-such-model' }),
    );
    expect(response.json()).toMatchObject({ code: 'model.unknown_alias' });
  });

  it('lists only the aliases the caller may use in GET /v1/models', async () => {
    const { app: a } = app();
    const list = async (claims: Record<string, unknown>) => {
      const response = await a.app.inject({
        method: 'GET',
        url: '/v1/models',
        headers: { authorization: await bearer(claims) },
      });
      return response.statusCode === 200
        ? response.json<{ data: Array<{ id: string }> }>().data.map((m) => m.id)
        : response.json<{ code: string }>().code;
    };
    expect(await list({ roles: ['reader'] })).toEqual(['chat']);
    expect(await list({ roles: ['reader', 'embedder'] })).toEqual(['chat', 'embed']);
    // The admin role needs MFA: without it nothing is usable, hence nothing listed.
    expect(await list({ roles: ['admin'] })).toEqual('authz.mfa_required');
    expect(await list({ roles: ['admin'], amr: ['mfa'] })).toEqual([
      'chat',
      'embed',
      'secret-anthropic',
    ]);
    expect(await list({ roles: ['streamer'] })).toEqual('authz.endpoint_forbidden');
  });

  it('is inactive, and invents no principal, while /v1 is anonymous (auth.mode none)', async () => {
    t = pipelineApp({ config: { authz: { roles: ROLES } } });
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: chatBody({ stream: true, model: 'chat' }),
    });
    expect(response.statusCode).toBe(200);
    const stages = gatewayStages({
      config: validateConfig({ auth: { mode: 'none' }, authz: { roles: ROLES } }),
      router: createModelRouter([]),
      metrics: t.metrics,
      usage: { add: () => undefined },
      isDraining: () => false,
    });
    expect(stages.find((stage) => stage.name === 'authorize')).toEqual({ name: 'authorize' });
  });
});

describe('requested features', () => {
  it.each([
    [{ stream: true }, ['stream']],
    [{ stream: false, tools: [], functions: null }, []],
    [{ stream: 'yes' }, ['stream']],
    [{ tools: [{ type: 'function' }] }, ['tools']],
    [{ functions: [{ name: 'f' }] }, ['tools']],
    [{ logprobs: true }, ['logprobs']],
    [{ top_logprobs: 0 }, ['logprobs']],
    [{ modalities: ['text', 'audio'] }, ['audio']],
    [{ audio: { format: 'wav', voice: 'alloy' } }, ['audio']],
    [
      { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] },
      ['audio'],
    ],
    [{ messages: [{ role: 'user', content: [{ type: 'IMAGE_URL' }] }] }, ['images']],
    [
      { messages: [{ role: 'user', content: [{ type: 'text', image_url: { url: 'x' } }] }] },
      ['images'],
    ],
    [{ messages: 'not a list' }, []],
    [null, []],
  ])('%j uses %j', (body, features) => {
    expect(requestedFeatures(body)).toEqual(features);
  });
});
