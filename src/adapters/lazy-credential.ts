import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';

/**
 * DefaultAzureCredential (managed identity in Azure), with @azure/identity loaded on the first
 * token request: it is large and slow to import, and a deployment that uses connection strings
 * never needs it (docs/design.md §10, cold start).
 */
export class LazyDefaultAzureCredential implements TokenCredential {
  private inner: Promise<TokenCredential> | undefined;

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    this.inner ??= import('@azure/identity').then((identity) => new identity.DefaultAzureCredential());
    return (await this.inner).getToken(scopes, options);
  }
}
