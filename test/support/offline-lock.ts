/**
 * A package-lock.json for a scratch app, cut from this repository's lockfile: the packages the
 * app's dependencies need, at the versions and places the repository installed them. With it,
 * `npm install --offline` takes every tarball from npm's cache by integrity and needs no
 * registry metadata (which the cache may not hold for a fresh resolution).
 */
import { readFileSync } from 'fs';
import * as path from 'path';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

interface Lock {
  packages: Record<string, LockEntry>;
}

/** Where npm finds `name` from the package installed at `from`: nested first, then each parent, then the top. */
function resolve(lock: Lock, name: string, from: string): string | undefined {
  for (let dir = from; ; ) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) return undefined;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i < 0 ? '' : dir.slice(0, i);
  }
}

/**
 * The app's lockfile. `roots` are its dependencies as the repository installed them (name →
 * where to resolve from: '' = the top); `local` is the packed package, whose dependencies
 * resolve like the repository's own.
 */
export function offlineLock(repoRoot: string, app: { name: string; dependencies: Record<string, string> }, local: { name: string; tarball: string; integrity: string; manifest: LockEntry }): object {
  const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as Lock;
  const packages: Record<string, LockEntry> = {};
  const add = (name: string, from: string, optional: boolean) => {
    const at = resolve(lock, name, from);
    if (!at) {
      if (optional) return; // a platform package this machine never installed
      throw new Error(`${name} (needed from ${from || 'the top'}) is not in ${repoRoot}/package-lock.json`);
    }
    if (packages[at]) return;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = lock.packages[at];
    packages[at] = entry;
    visit(entry, at);
  };
  const visit = (entry: LockEntry, at: string) => {
    for (const dep of Object.keys(entry.dependencies ?? {})) add(dep, at, false);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) add(dep, at, true);
    for (const dep of Object.keys(entry.peerDependencies ?? {})) add(dep, at, entry.peerDependenciesMeta?.[dep]?.optional ?? false);
  };
  for (const name of Object.keys(app.dependencies)) if (name !== local.name) add(name, '', false);
  const localAt = `node_modules/${local.name}`;
  packages[localAt] = { ...local.manifest, resolved: `file:${local.tarball}`, integrity: local.integrity };
  visit(local.manifest, '');
  return { name: app.name, lockfileVersion: 3, requires: true, packages: { '': { name: app.name, dependencies: app.dependencies }, ...packages } };
}
