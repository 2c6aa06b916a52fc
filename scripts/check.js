// `npm run check`: build if needed, then run the offline analyzer.
'use strict';
require('./bundle').runBundle('check');
