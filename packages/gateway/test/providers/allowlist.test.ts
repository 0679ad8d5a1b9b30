import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions/completions';
import type { EmbeddingCreateParams } from 'openai/resources/embeddings';
import type { ResponseError } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import type { OPENAI_PARAM_ROOT_NAMES } from '../../src/providers/http/allowlist.js';
import { OPENAI_ERROR_CODES } from '../../src/providers/http/allowlist.js';

/**
 * The allowlist against the installed `openai` package: an upgrade that adds an error code or a
 * request parameter fails the type check here until someone decides about it.
 */

/** Codes of the package's error-code union, each either allowlisted or left out for a reason. */
const PACKAGE_CODES = {
  server_error: 'allowed',
  rate_limit_exceeded: 'allowed',
  invalid_prompt: 'allowed',
  bio_policy: 'allowed',
  invalid_image: 'allowed',
  invalid_image_format: 'allowed',
  invalid_base64_image: 'allowed',
  invalid_image_url: 'allowed',
  image_too_large: 'allowed',
  image_too_small: 'allowed',
  image_parse_error: 'allowed',
  image_content_policy_violation: 'allowed',
  invalid_image_mode: 'allowed',
  image_file_too_large: 'allowed',
  unsupported_image_media_type: 'allowed',
  empty_image_file: 'allowed',
  failed_to_download_image: 'allowed',
  image_file_not_found: 'allowed',
  // Responses API only (file search, stored data): never an answer to the routes Rampart serves.
  vector_store_timeout: 'left out',
  data_residency_mismatch: 'left out',
} as const satisfies Record<ResponseError['code'], 'allowed' | 'left out'>;

type RequestParameter = keyof ChatCompletionCreateParamsBase | keyof EmbeddingCreateParams;
type Root = (typeof OPENAI_PARAM_ROOT_NAMES)[number];
/** Every request parameter is a param root, and every root but `prompt` (Azure) a parameter. */
const everyParameterIsARoot: Exclude<RequestParameter, Root> extends never ? true : false = true;
const everyRootIsAParameter: Exclude<Root, RequestParameter | 'prompt'> extends never
  ? true
  : false = true;

describe('the upstream error allowlist', () => {
  it('covers the error codes of the installed openai package', () => {
    for (const [code, decision] of Object.entries(PACKAGE_CODES)) {
      expect(OPENAI_ERROR_CODES.has(code), code).toBe(decision === 'allowed');
    }
  });

  it('takes param roots from the request parameters of the installed openai package', () => {
    expect(everyParameterIsARoot && everyRootIsAParameter).toBe(true);
  });

  it('holds only short identifiers', () => {
    for (const code of OPENAI_ERROR_CODES) expect(code).toMatch(/^[a-z][a-z0-9_]{2,47}$/);
  });
});
