// Builds the package: dist/liveroom.mjs (ESM, readable) and dist/liveroom.min.js (minified browser
// bundle: the global `Liveroom`, or module.exports under CommonJS).
//   node scripts/build.mjs             -> dist/
//   node scripts/build.mjs --out DIR   -> DIR/ (check-built.sh builds into a temp folder)
//   node scripts/build.mjs --webroot   -> dist/, then copies both files to the folder every node
//                                         serves (/liveroom.js and /liveroom.mjs)
import { build } from 'esbuild';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const out = outIdx >= 0 ? resolve(args[outIdx + 1]) : join(here, 'dist');
const webroot = join(here, '..', '..', 'src', 'main', 'resources', 'webroot');

const pkg = JSON.parse(await readFile(join(here, 'package.json'), 'utf8'));
const banner = `/*! ${pkg.name} ${pkg.version} | ${pkg.license} | liveroom real-time client, see README.md */`;
const common = {
  bundle: true,
  target: 'es2017',
  platform: 'neutral',
  legalComments: 'none',
  logLevel: 'warning',
  define: { __LIVEROOM_VERSION__: JSON.stringify(pkg.version) },
  banner: { js: banner }
};

await mkdir(out, { recursive: true });
await build({
  ...common,
  entryPoints: [join(here, 'src', 'index.js')],
  format: 'esm',
  outfile: join(out, 'liveroom.mjs')
});
await build({
  ...common,
  entryPoints: [join(here, 'src', 'global.js')],
  format: 'iife',
  globalName: 'Liveroom',
  minify: true,
  footer: { js: 'Liveroom=Liveroom.default;typeof module=="object"&&module.exports&&(module.exports=Liveroom);' },
  outfile: join(out, 'liveroom.min.js')
});

if (args.includes('--webroot')) {
  await copyFile(join(out, 'liveroom.min.js'), join(webroot, 'liveroom.js'));
  await copyFile(join(out, 'liveroom.mjs'), join(webroot, 'liveroom.mjs'));
  console.log('copied to ' + webroot + ': liveroom.js, liveroom.mjs');
}
