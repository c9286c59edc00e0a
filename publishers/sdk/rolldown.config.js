// Bundles tsc's output (dist/tsc) into the published package: one ES module for the API, one
// for the CLI, and one declaration file. @feed/contracts is compiled in, JavaScript and types,
// so a service installs one package; everything in dependencies and peerDependencies stays
// an import, installed beside it.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { defineConfig } from 'rolldown';
import { dts } from 'rolldown-plugin-dts';

const manifest = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const installed = [
  ...Object.keys(manifest.dependencies ?? {}),
  ...Object.keys(manifest.peerDependencies ?? {}),
];
const external = (id) =>
  id.startsWith('node:') ||
  builtinModules.includes(id) ||
  installed.some((name) => id === name || id.startsWith(`${name}/`));

export default defineConfig([
  {
    input: { index: 'dist/tsc/index.js', cli: 'dist/tsc/cli.js' },
    platform: 'node',
    external,
    output: {
      dir: 'dist',
      format: 'esm',
      entryFileNames: '[name].js',
      chunkFileNames: '[name].js',
    },
  },
  {
    input: { index: 'dist/tsc/index.d.ts' },
    external,
    plugins: [dts({ dtsInput: true, tsconfig: false })],
    output: { dir: 'dist', format: 'esm' },
  },
]);
