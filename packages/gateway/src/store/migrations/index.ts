import type { Migration } from 'kysely';
import type { Engine } from '../schema.js';
import { usageEvents } from './0001-usage-events.js';
import { oidcPayloads } from './0002-oidc-payloads.js';
import { accounts } from './0003-accounts.js';
import { serviceKeys } from './0004-service-keys.js';
import { devicesSessions } from './0005-devices-sessions.js';
import { appAttestKeys } from './0006-app-attest-keys.js';

/**
 * Every migration, in order, imported in code rather than found by a folder scan so that they
 * ship inside dist/ and bundles. Names are never changed once released: the database remembers
 * them. Each entry takes the engine because a few column types must differ (see schema.ts).
 */
export const MIGRATIONS: Readonly<Record<string, (engine: Engine) => Migration>> = {
  '0001_usage_events': usageEvents,
  '0002_oidc_payloads': oidcPayloads,
  '0003_accounts': accounts,
  '0004_service_keys': serviceKeys,
  '0005_devices_sessions': devicesSessions,
  '0006_app_attest_keys': appAttestKeys,
};
