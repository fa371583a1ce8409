/*
 * Entry of the browser bundle (dist/liveroom.min.js, served by every node at /liveroom.js): the
 * build exposes this default export as the global `Liveroom`, or as module.exports under CommonJS.
 */
export { Liveroom as default } from './client.js';
