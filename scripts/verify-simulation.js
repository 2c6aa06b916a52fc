// `npm run verify:simulation`: build if needed, then have Istio's own routing simulation (built
// with go test -c and cached) route every call npm run explain previews, and compare.
'use strict';
require('./bundle').runBundle('verify-simulation');
