// `npm run verify:istio`: build if needed, then judge meshlab's output with the real istioctl
// (built with go install and cached) and compare npm run check with istioctl analyze.
'use strict';
require('./bundle').runBundle('verify-istio');
