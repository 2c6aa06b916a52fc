// `npm run verify:cluster`: build if needed, then follow every guide on a local Kubernetes with
// istiod (built with Go and cached), and report what the API server and istiod said.
'use strict';
require('./bundle').runBundle('verify-cluster');
