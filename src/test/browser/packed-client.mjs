// The browser tests run the client from the package `npm pack` built in clients/js (installed here
// with `npm install --no-save <tgz>`, as .ci/run does), not from the copy committed in webroot:
// every request for /liveroom.js in a browser context is answered with the package's bundle.
// (clients/js/scripts/check-built.sh checks that the committed copy equals a fresh build.)
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);

/** The minified browser bundle of the installed @liveroom/client. */
export const BUNDLE = require.resolve('@liveroom/client/bundle');
export const VERSION = JSON.parse(readFileSync(require.resolve('@liveroom/client/package.json'), 'utf8')).version;

/** Serves the packed bundle for /liveroom.js to every page of the context. */
export async function usePackedClient(context) {
  const body = readFileSync(BUNDLE);
  await context.route(/\/liveroom\.js(\?.*)?$/, (route) =>
    route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body }));
}
