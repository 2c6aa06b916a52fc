// `npm run synth` and cdk8s.yaml's app: build if needed, then run the app in this process.
'use strict';
require('./build').build();
require('../build/main.js');
