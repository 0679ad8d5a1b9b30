/** One severity scale for every finding Rampart reports (DESIGN.md, Severity and exit codes). */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher is worse; used to compare a finding against `--fail-on`. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(severity);
}

export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) >= severityRank(threshold);
}

/** SARIF level for a severity: critical/high → error, medium → warning, low/info → note. */
export function sarifLevel(severity: Severity): 'error' | 'warning' | 'note' {
  if (severity === 'critical' || severity === 'high') return 'error';
  if (severity === 'medium') return 'warning';
  return 'note';
}

export interface Location {
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
}

export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly message: string;
  readonly location?: Location;
  /** CWE ids such as "CWE-798". */
  readonly cwe?: readonly string[];
  /** OWASP MASVS / Mobile Top 10 references. */
  readonly owasp?: readonly string[];
}
