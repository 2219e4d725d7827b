// Bundles index.js into one minified browser script with esbuild, with the settings of
// plotly.js's own dist builds (esbuild-config.js in its package): an IIFE that sets the global
// `Plotly`, `global` read as `window`, AMD turned off, ES2016.
// Usage: node build.js <out.js> <trace>...  (run from the folder npm ci installed into)
'use strict';

const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const out = process.argv[2];
if (!out || process.argv.length < 4) {
    console.error('usage: node build.js <out.js> <trace>...');
    process.exit(2);
}
const traces = process.argv.slice(3);
const version = require('plotly.js/package.json').version;
// plotly.js's own licence header (version, copyright, MIT), naming the trace types kept
const dist = fs.readFileSync(require.resolve('plotly.js/dist/plotly.js'), 'utf8');
const header = dist.slice(0, dist.indexOf('*/') + 2);
const banner = header.replace(
    `plotly.js v${version}`,
    `plotly.js v${version} (partial bundle: ${traces.join(', ')})`
);
if (banner === header) {
    console.error('plotly.js/dist/plotly.js does not start with its licence header');
    process.exit(1);
}

esbuild
    .build({
        entryPoints: [path.join(__dirname, 'index.js')],
        outfile: out,
        format: 'iife',
        globalName: 'Plotly',
        bundle: true,
        minify: true,
        sourcemap: false,
        legalComments: 'none',
        banner: { js: banner },
        alias: { stream: 'stream-browserify' },
        define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
        target: 'es2016',
        logLevel: 'warning'
    })
    .catch(() => process.exit(1));
