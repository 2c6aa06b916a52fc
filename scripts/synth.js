// `npm run synth` and cdk8s.yaml's app: build if needed, then run the app.
'use strict';
require('./bundle').runBundle('main');
