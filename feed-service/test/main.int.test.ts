import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function run(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('node feed-service/dist/main.js', () => {
  it('stops at start with a message naming a wrong variable', async () => {
    const result = await run({ PORT: 'abc' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('invalid configuration: PORT must be integer');
    const cors = await run({ SERVICE_CORS_ORIGINS: 'portal.example.com' });
    expect(cors.code).toBe(1);
    expect(cors.stderr).toContain('SERVICE_CORS_ORIGINS');
  });
});
