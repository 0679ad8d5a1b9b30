/**
 * Exit codes of every verb. 0–3 are DESIGN.md's "Severity and exit codes", shared by every verb
 * that judges something; 4 and 5 are `serve`'s, for a gateway that cannot take its address.
 * README.md and `rampart serve --help` list them; keep all three in step.
 */
export const EXIT = {
  ok: 0,
  /** Something at or above the threshold (for `config check`: the configuration is refused). */
  findings: 1,
  /** A usage or I/O error, including an invalid or insecure configuration for `serve`. */
  usage: 2,
  nothingToScan: 3,
  /** `serve`: the port is already in use on that address (another gateway, another program). */
  portInUse: 4,
  /**
   * `serve`: the address cannot be listened on for another reason: not an address of this
   * machine, a privileged port, a server.host name that does not resolve.
   */
  cannotListen: 5,
} as const;
