/**
 * Why an Android key attestation was refused (`invalid`) or could not be judged
 * (`indeterminate`). Local to this verifier: the attest stage maps each one to a stable error code
 * of the gateway's catalogue.
 */
export type KeyAttestationReason =
  /** A certificate in the chain is not DER X.509, or the chain is empty. */
  | 'certificate_malformed'
  /** Too many certificates, a certificate over the size bound, or too many application entries. */
  | 'too_large'
  /** A signature does not verify, an issuer may not issue, or the chain ends at no pinned root. */
  | 'chain_untrusted'
  /** A certificate of the chain (or every pinned copy of its root) expired before the clock. */
  | 'certificate_expired'
  /** A certificate of the chain is not valid yet at the clock. */
  | 'certificate_not_yet_valid'
  /** The status list names a certificate of the chain as REVOKED or SUSPENDED. */
  | 'certificate_revoked'
  /** No status list younger than the configured maximum age is at hand (indeterminate). */
  | 'status_list_unavailable'
  /** The leaf has no attestation extension (OID 1.3.6.1.4.1.11129.2.1.17). */
  | 'extension_missing'
  /** The attestation extension, or the application id inside it, does not parse. */
  | 'extension_malformed'
  /** A certificate other than the leaf carries the attestation extension (a chain extended below a genuine key). */
  | 'extension_misplaced'
  /** attestationChallenge differs from the challenge the gateway issued. */
  | 'challenge_mismatch'
  /** attestationSecurityLevel or keyMintSecurityLevel is below the policy minimum. */
  | 'security_level_too_low'
  /** The hardware-enforced root of trust is missing or its verifiedBootState is not allowed. */
  | 'boot_state_unverified'
  /** The root of trust says the bootloader is unlocked and the policy requires it locked. */
  | 'device_unlocked'
  /** The attested application id is missing or names a package outside the allowlist. */
  | 'package_forbidden'
  /** The attested application id names a signing-certificate digest outside the allowlist. */
  | 'signing_digest_forbidden';
