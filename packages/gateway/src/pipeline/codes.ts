import type { RampartError } from '@rampart/core';
import { GATEWAY_ERRORS, type GatewayErrorCode } from '../errors.js';

/**
 * The catalogue code of an error that reached the pipeline. Every error the gateway raises is
 * in its catalogue; anything else (a bug) is recorded as `internal.error`, never as free text.
 */
export function gatewayCode(error: RampartError): GatewayErrorCode {
  return Object.hasOwn(GATEWAY_ERRORS, error.code)
    ? (error.code as GatewayErrorCode)
    : 'internal.error';
}
