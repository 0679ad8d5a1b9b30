/** DESIGN.md, Severity and exit codes: shared by every verb that judges something. */
export const EXIT = {
  ok: 0,
  /** Something at or above the threshold (for `config check`: the configuration is refused). */
  findings: 1,
  usage: 2,
  nothingToScan: 3,
} as const;
