/**
 * The one rule for tests that need a service (DESIGN.md, Tests): the URL comes from the
 * environment; without it the tests are skipped with a printed reason, except under CI=true,
 * where a missing service must fail the run instead of passing it silently.
 */
export function serviceUrl(variable: string, service: string, example: string): string | undefined {
  const url = process.env[variable];
  if (url !== undefined && url.trim() !== '') return url;
  if (process.env.CI === 'true') {
    throw new Error(
      `${variable} is unset but CI=true: the ${service} tests must run in CI. Start ${service} and set ${variable} (e.g. ${example}).`,
    );
  }
  return undefined;
}

/** Printed once per skipped suite so that a green run says what it did not test. */
export function skipReason(suite: string, variable: string, example: string): string {
  const reason = `${variable} is unset (e.g. ${variable}=${example})`;
  console.warn(`[skipped] ${suite}: ${reason}`);
  return reason;
}
