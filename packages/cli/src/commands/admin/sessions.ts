import type { SessionService } from '@rampart/gateway';
import type { Command } from 'commander';
import { EXIT } from '../../exit-codes.js';
import type { SetExitCode } from './index.js';
import type { RemoteFlags } from './remote/admin-api.js';
import { isRemote, withRemoteFlags } from './remote/flags.js';

interface SubjectOptions extends RemoteFlags {
  readonly subject: string;
  readonly tenant: string;
  readonly issuer?: string;
  readonly config?: string;
  readonly format: 'text' | 'json';
}

const FORMATS = ['text', 'json'];

/**
 * `rampart admin list-devices | revoke-device | list-sessions | revoke-session | revoke-subject`
 * against the local store (`admin/local.ts`): the same operations as the admin API, confined
 * to one tenant (`--tenant`, default none). With `--url` they call a gateway's admin API, in the
 * admin's own tenant. With `redis.url` configured, a revocation is also
 * published, so running gateways apply it on their next request; without it they apply it at
 * their next periodic resync (at most a minute). Exit 0 when done, 1 when the subject, device
 * or session is not known in the tenant, 2 on a usage or I/O error.
 */
export function registerSessionVerbs(admin: Command, setCode: SetExitCode): void {
  const verb = (name: string, description: string) =>
    withRemoteFlags(admin.command(name))
      .description(description)
      .requiredOption('--subject <sub>', "the user's subject (sub claim)")
      .option('--tenant <tenant>', 'the tenant (default: none)', '')
      .option('--issuer <iss>', 'only this issuer (default: every issuer the subject is known by)')
      .option('-c, --config <file>', 'YAML configuration file (default: $RAMPART_CONFIG)')
      .option('--format <format>', 'text or json', 'text');

  verb('list-devices', "list a user's device keys (DPoP thumbprints)").action(
    async (options: SubjectOptions) => {
      setCode(
        await withSessions('list-devices', options, async (sessions, out) => {
          const devices = await sessions.listDevices(
            options.tenant,
            options.subject,
            options.issuer,
          );
          if (options.format === 'json') return out(JSON.stringify({ devices }, null, 2));
          if (devices.length === 0) return out('no devices');
          for (const d of devices) {
            out(
              `${d.jkt}  ${d.issuer}  first ${iso(d.firstSeenAt)}  last ${iso(d.lastSeenAt)}${d.revoked ? '  revoked' : ''}`,
            );
          }
        }),
      );
    },
  );

  verb('list-sessions', "list a user's sessions (sid)").action(async (options: SubjectOptions) => {
    setCode(
      await withSessions('list-sessions', options, async (sessions, out) => {
        const list = await sessions.listSessions(options.tenant, options.subject, options.issuer);
        if (options.format === 'json') return out(JSON.stringify({ sessions: list }, null, 2));
        if (list.length === 0) return out('no sessions');
        for (const s of list) {
          out(
            `${s.sessionId}  ${s.issuer}  device ${s.deviceJkt ?? '-'}  last ${iso(s.lastSeenAt)}${s.revoked ? '  revoked' : ''}`,
          );
        }
      }),
    );
  });

  verb('revoke-device', "revoke a user's device key: its tokens are refused")
    .requiredOption('--jkt <thumbprint>', 'the device key thumbprint (list-devices)')
    .action(async (options: SubjectOptions & { jkt: string }) => {
      setCode(
        await withSessions('revoke-device', options, async (sessions, out) => {
          const count = await sessions.revokeDevice(
            options.tenant,
            options.subject,
            options.jkt,
            options.issuer,
          );
          return revoked(out, 'device', count);
        }),
      );
    });

  verb('revoke-session', "end one of a user's sessions: its tokens are refused")
    .requiredOption('--session <sid>', 'the session id (list-sessions)')
    .action(async (options: SubjectOptions & { session: string }) => {
      setCode(
        await withSessions('revoke-session', options, async (sessions, out) => {
          const count = await sessions.revokeSession(
            options.tenant,
            options.subject,
            options.session,
            options.issuer,
          );
          return revoked(out, 'session', count);
        }),
      );
    });

  verb(
    'revoke-subject',
    'refuse every token the user holds now (issued at or before this moment)',
  ).action(async (options: SubjectOptions) => {
    setCode(
      await withSessions('revoke-subject', options, async (sessions, out) => {
        // With --issuer, a subject the gateway never saw is revoked too (a token not yet used).
        const count = await sessions.revokeSubject(
          options.tenant,
          options.subject,
          options.issuer,
          true,
        );
        return revoked(out, 'subject', count);
      }),
    );
  });
}

type Out = (line: string) => void;

type SessionVerb =
  'list-devices' | 'list-sessions' | 'revoke-device' | 'revoke-session' | 'revoke-subject';

/**
 * Opens the local store (and Redis, when configured), runs `fn`, closes both; the exit code.
 * With `--url`, runs the verb against that gateway's admin API instead (`fn` is not used).
 */
async function withSessions(
  verb: SessionVerb,
  options: SubjectOptions & { jkt?: string; session?: string },
  fn: (sessions: SessionService, out: Out) => Promise<number | void>,
): Promise<number> {
  if (isRemote(options)) {
    const { remoteSessionVerb } = await import('./remote/verbs.js');
    return remoteSessionVerb(verb, options);
  }
  if (!FORMATS.includes(options.format)) {
    process.stderr.write(`rampart: --format must be text or json\n`);
    return EXIT.usage;
  }
  const { localSessionService, openRedis, SessionRepository } = await import('@rampart/gateway');
  const { openLocalStore } = await import('./local.js');
  const { config, store } = await openLocalStore(options.config);
  const redisUrl = config.redis.url;
  try {
    const redis =
      redisUrl === undefined ? undefined : await openRedis({ ...config.redis, url: redisUrl });
    try {
      const sessions = await localSessionService(new SessionRepository(store.db), redis);
      const code = await fn(sessions, (line) => process.stdout.write(`${line}\n`));
      return code ?? EXIT.ok;
    } finally {
      await redis?.close();
    }
  } finally {
    await store.close();
  }
}

function revoked(out: Out, kind: 'device' | 'session' | 'subject', count: number): number {
  if (count === 0) {
    process.stderr.write(
      `rampart: no such ${kind === 'subject' ? 'user' : kind} in this tenant${kind === 'subject' ? ' (pass --issuer to revoke a user the gateway has not seen)' : ''}\n`,
    );
    return EXIT.findings;
  }
  out(`revoked ${kind}${count > 1 ? ` under ${count} issuers` : ''}`);
  return EXIT.ok;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
