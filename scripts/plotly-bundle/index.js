// The plotly.js the socialroi report embeds: the core (scatter, layout components, mode bar)
// and only the other trace types the report draws. Built by scripts/build-plotly-bundle.
'use strict';

var Plotly = require('plotly.js/lib/core');

Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/heatmap')]);

module.exports = Plotly;
