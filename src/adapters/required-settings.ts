/**
 * Settings without which the service cannot work in Azure (locally the local host supplies them).
 * Checked without any library, so the entry point can check them at start-up cheaply; what the
 * check finds is reported, never thrown, so the host still indexes every function (docs/design.md §7).
 */

/** Each entry is met by any one of its names. */
export const REQUIRED_IN_AZURE: ReadonlyArray<readonly [string, ...string[]]> = [
  ['META_ACCESS_TOKEN'],
  ['META_APP_SECRET'],
  ['META_WEBHOOK_VERIFY_TOKEN'],
  ['REGISTRATION_PIN_SECRET'],
  // Identity-based runtime storage (AzureWebJobsStorage__accountName) is no connection string this
  // service could use for its tables, so without either of these it would fall back to Azurite.
  ['REGISTRATION_STORAGE', 'AzureWebJobsStorage'],
];

const KEY_VAULT_REFERENCE = '@Microsoft.KeyVault(';

const present = (value: string | undefined): boolean => value !== undefined && value.trim() !== '';

/** App Service sets WEBSITE_SITE_NAME on every app it runs, never locally. */
export const runningInAzure = (env: Record<string, string | undefined>): boolean => present(env.WEBSITE_SITE_NAME);

/** Required settings (as `A or B` where either will do) that are missing; only in Azure. */
export function missingRequiredSettings(env: Record<string, string | undefined>): string[] {
  if (!runningInAzure(env)) return [];
  return REQUIRED_IN_AZURE.filter((names) => !names.some((name) => present(env[name]))).map((names) => names.join(' or '));
}

/** Settings whose Key Vault reference the platform has not resolved: they hold the reference itself. */
export function unresolvedKeyVaultReferences(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([, value]) => typeof value === 'string' && value.trim().startsWith(KEY_VAULT_REFERENCE))
    .map(([name]) => name)
    .sort();
}

/**
 * One message naming every missing and unresolved setting, or undefined when there is none.
 * It is what start-up logs, what health answers and what every other function fails with.
 */
export function settingsProblem(env: Record<string, string | undefined>): string | undefined {
  const parts: string[] = [];
  const missing = missingRequiredSettings(env);
  if (missing.length > 0) parts.push(`Missing required app setting(s): ${missing.join(', ')}`);
  const unresolved = unresolvedKeyVaultReferences(env);
  if (unresolved.length > 0) {
    parts.push(
      `Key Vault reference(s) not resolved: ${unresolved.join(', ')} (the platform can take minutes on a new app; otherwise check the identity's access to the vault, then restart the app)`,
    );
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** docs/design.md §7 default of RECONCILE_SCHEDULE. */
export const DEFAULT_RECONCILE_SCHEDULE = '0 */15 * * * *';

/**
 * The reconcile timer's schedule: the one reading of RECONCILE_SCHEDULE, here (without zod) so the
 * entry point can register the timer without loading the app, and the configuration agrees with it.
 */
export const reconcileScheduleOf = (env: Record<string, string | undefined>): string => env.RECONCILE_SCHEDULE?.trim() || DEFAULT_RECONCILE_SCHEDULE;
