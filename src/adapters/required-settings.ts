/**
 * Settings without which the service cannot work in Azure (locally the local host supplies them).
 * Checked without any library, so the entry point can stop a misconfigured app at start-up cheaply.
 */
export const REQUIRED_IN_AZURE = ['META_ACCESS_TOKEN', 'META_APP_SECRET', 'META_WEBHOOK_VERIFY_TOKEN', 'REGISTRATION_PIN_SECRET'] as const;

const present = (value: string | undefined): boolean => value !== undefined && value.trim() !== '';

/** Names of required settings that are missing, or that hold a Key Vault reference that did not resolve. */
export function missingRequiredSettings(env: Record<string, string | undefined>): string[] {
  if (!present(env.WEBSITE_SITE_NAME)) return [];
  return REQUIRED_IN_AZURE.filter((name) => !present(env[name]));
}

export function unresolvedKeyVaultReferences(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([, value]) => typeof value === 'string' && value.startsWith('@Microsoft.KeyVault('))
    .map(([name]) => name);
}

/** docs/design.md §7 default of RECONCILE_SCHEDULE; here so the entry point can read it without loading the app. */
export const DEFAULT_RECONCILE_SCHEDULE = '0 */15 * * * *';
