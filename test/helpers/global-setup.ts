// Tests run the real CLI from dist/: build it (TypeScript and the compiled
// config validator) once before any test file.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

export default function setup(): void {
  const root = path.resolve(__dirname, '..', '..');
  const run = (args: string[]): void => {
    execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  };
  run([path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
  run([path.join(root, 'scripts', 'compile-schema.js')]);
}
