import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { credentialFor } from '../../../shared/adapters/credentials';

describe('credentialFor', () => {
  it('uses the managed identity when told to, and one credential per identity', () => {
    const managed = credentialFor({
      kind: 'identity',
      endpoint: 'https://x',
      credential: 'managedidentity',
      clientId: '00000000-0000-0000-0000-000000000001',
    });
    expect(managed).toBeInstanceOf(ManagedIdentityCredential);
    expect(
      credentialFor({
        kind: 'identity',
        endpoint: 'https://y',
        credential: 'managedidentity',
        clientId: '00000000-0000-0000-0000-000000000001',
      }),
    ).toBe(managed);
    expect(credentialFor({ kind: 'identity', endpoint: 'https://x', credential: 'managedidentity', clientId: undefined })).not.toBe(
      managed,
    );
  });

  it('falls back to DefaultAzureCredential (az login on a laptop)', () => {
    expect(credentialFor({ kind: 'identity', endpoint: 'https://x', credential: 'default', clientId: undefined })).toBeInstanceOf(
      DefaultAzureCredential,
    );
  });
});
