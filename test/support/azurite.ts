import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports';

export interface AzuriteBlob {
  readonly connectionString: string;
  readonly blobEndpoint: string;
  stop(): Promise<void>;
}

/** The well-known development account of Azurite (public, documented, not a secret). */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Starts Azurite's blob service on a free loopback port, storing under `location`. */
export async function startAzuriteBlob(options: { location: string; blobPort?: number }): Promise<AzuriteBlob> {
  const port = options.blobPort ?? (await freePort());
  const bin = join(__dirname, '..', '..', 'node_modules', '.bin', 'azurite-blob');
  const child = spawn(
    bin,
    ['--silent', '--location', options.location, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--skipApiVersionCheck', '--loose', '--disableTelemetry'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  try {
    await Promise.race([
      waitForPort(port),
      exited.then(([code]) => {
        throw new Error(`azurite-blob exited with ${String(code)}: ${stderr}`);
      }),
    ]);
  } catch (error) {
    child.kill();
    throw error;
  }
  const blobEndpoint = `http://127.0.0.1:${port}/${ACCOUNT}`;
  return {
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
