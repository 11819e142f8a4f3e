// Finds a plugin module and checks it before anything of it runs: a definition with a
// manifest of the right shape, a host API range this host satisfies, and a configuration its
// schema accepts. Every refusal is one clear sentence for the operator.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import { z } from 'zod';
import { HOST_API_VERSION, type Capability, type PluginDefinition } from '../../plugins/sdk/index.js';

export const PLUGINS_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'plugins');

const CAPABILITIES: readonly Capability[] = ['stream-tap', 'http', 'storage', 'notify'];

const manifestShape = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
  version: z.string().refine((v) => semver.valid(v) !== null, 'must be a semver version'),
  hostApi: z.string().refine((r) => semver.validRange(r) !== null, 'must be a semver range'),
  needs: z.array(z.enum(CAPABILITIES as [Capability, ...Capability[]])),
  dependencies: z.array(z.string()).optional(),
  configSchema: z.custom<z.ZodType>((v) => v instanceof z.ZodType, 'must be a zod schema (the sdk re-exports z)'),
  description: z.string().max(300).optional(),
}).passthrough();

export class PluginRefused extends Error {}

/** "level: expected number, received string; …" */
function issues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message.replace(/^Invalid input: /, '')}`).join('; ');
}

/** Where the plugin's code is: plugins/<name>/index.ts, or the configured module (package or path). */
function entryOf(name: string, module: string | undefined): string {
  if (!module) {
    const local = path.join(PLUGINS_DIR, name, 'index.ts');
    if (!fs.existsSync(local)) throw new PluginRefused(`no plugins/${name}/index.ts (set "module" to load it from a package)`);
    return pathToFileURL(local).href;
  }
  if (module.startsWith('.') || path.isAbsolute(module)) return pathToFileURL(path.resolve(module)).href;
  return module;
}

export async function loadDefinition(name: string, module: string | undefined): Promise<PluginDefinition> {
  let mod: { default?: unknown };
  try {
    mod = await import(entryOf(name, module));
  } catch (err) {
    if (err instanceof PluginRefused) throw err;
    throw new PluginRefused(`cannot load: ${(err as Error).message.split('\n')[0]}`);
  }
  const def = mod.default as Partial<PluginDefinition> | undefined;
  if (!def || typeof def !== 'object' || typeof def.setup !== 'function') {
    throw new PluginRefused('its module does not export a plugin definition as default (definePlugin({ manifest, setup }))');
  }
  const m = manifestShape.safeParse(def.manifest);
  if (!m.success) throw new PluginRefused(`invalid manifest: ${issues(m.error)}`);
  if (m.data.name !== name) throw new PluginRefused(`its manifest is named "${m.data.name}", not "${name}"`);
  if (!semver.satisfies(HOST_API_VERSION, m.data.hostApi)) {
    throw new PluginRefused(`it supports host API ${m.data.hostApi}; this host provides ${HOST_API_VERSION}`);
  }
  return def as PluginDefinition;
}

/** The plugin's configuration after its schema (defaults filled), or a refusal naming the fields. */
export function checkConfig(def: PluginDefinition, config: unknown): unknown {
  const r = def.manifest.configSchema.safeParse(config ?? {});
  if (!r.success) throw new PluginRefused(`invalid configuration: ${issues(r.error)}`);
  return r.data;
}
