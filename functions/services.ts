import { once } from '../shared/once';
import type { Services } from '../shared/services';

/*
 * The composition root of the Function app. The Azure adapters are imported lazily, on the first
 * invocation that needs them: the local runtime and the tests install their own services first, so
 * they never load the Azure SDKs.
 */

/**
 * The Azure services, built on first use. A failed start (a missing setting, Dataset B unreadable) is
 * not cached: the next invocation tries again, and the error names what is wrong each time.
 */
const loadAzureServices = (): Promise<Services> =>
  import('../shared/adapters/azure/services.js').then(({ createAzureServices }) => createAzureServices());

let azureServices = once(loadAzureServices);
let installed: Services | undefined;

export function getServices(): Promise<Services> {
  return installed ? Promise.resolve(installed) : azureServices();
}

export function useServices(services: Services): void {
  installed = services;
}

export function resetServices(): void {
  installed = undefined;
  azureServices = once(loadAzureServices);
}
