#!/usr/bin/env node
// `npx helm-sfn`: the CLI's bundle (dist/bin/helm-sfn.js, made by `npm run build`, which
// `npm install` runs), run by plain node with V8's code cache. Compiling the 3 MB bundle costs
// every command ~0.1 s; the cache, kept in helm-sfn's cache directory under the bundle's hash,
// makes that ~0.01 s from the second run on. Any failure of the cache only costs that time.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const os = require('os');
const path = require('path');
const vm = require('vm');

const bundle = path.join(__dirname, '..', 'dist', 'bin', 'helm-sfn.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write(`Error: ${bundle} is missing: run \`npm run build\` (npm install runs it)\n`);
  process.exit(1);
}

/** As lib/helm/binaries.ts: $HELM_SFN_CACHE_DIR, else $XDG_CACHE_HOME/helm-sfn, else ~/.cache/helm-sfn. */
function cacheDir() {
  if (process.env.HELM_SFN_CACHE_DIR) return path.resolve(process.env.HELM_SFN_CACHE_DIR);
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'helm-sfn');
}

/** Runs a CommonJS file as `require` does, compiled from (and then into) a code cache. */
function runWithCodeCache(filename) {
  const source = fs.readFileSync(filename, 'utf8');
  // V8 checks only the source's length: the name carries a hash of the content and of the node that compiled it
  const key = crypto.createHash('sha1').update(`${process.version}\0${source}`).digest('hex');
  const dir = path.join(cacheDir(), 'code-cache');
  const cacheFile = path.join(dir, `helm-sfn-${key}.bin`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // the first run of this bundle
  }
  const script = new vm.Script(Module.wrap(source), { filename, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  if (cachedData === undefined || script.cachedDataRejected) {
    // written at exit, so the functions this command compiled are in it
    process.once('exit', () => writeCodeCache(dir, cacheFile, script));
  }
  const mod = new Module(filename, module);
  mod.filename = filename;
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(filename), mod, filename, path.dirname(filename));
}

function writeCodeCache(dir, cacheFile, script) {
  try {
    fs.mkdirSync(dir, { recursive: true });
    for (const old of fs.readdirSync(dir)) if (old.startsWith('helm-sfn-')) fs.rmSync(path.join(dir, old), { force: true });
    const partial = `${cacheFile}.${process.pid}`; // renamed whole: a concurrent command never reads half a file
    fs.writeFileSync(partial, script.createCachedData());
    fs.renameSync(partial, cacheFile);
  } catch {
    // a read-only or full cache directory: the next command compiles again
  }
}

runWithCodeCache(bundle);
