import * as fs from 'node:fs';
import * as path from 'node:path';

/** The project root (where cdk.json lives). */
export const PROJECT_ROOT = path.join(__dirname, '..', '..');

/**
 * The context `cdk synth` gives the app: cdk.json's `context` (the feature flags) and
 * cdk.context.json. In-process synths (the tests, the resilience report) pass it to their App so
 * that they build exactly the templates `cdk synth` builds.
 */
export function projectContext(root = PROJECT_ROOT): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (const file of ['cdk.json', 'cdk.context.json']) {
    const p = path.join(root, file);
    if (!fs.existsSync(p)) continue;
    const json = JSON.parse(fs.readFileSync(p, 'utf8'));
    Object.assign(context, file === 'cdk.json' ? (json.context ?? {}) : json);
  }
  return context;
}
