// `npm run explain`: build if needed, then run the routing preview.
'use strict';
require('./bundle').runBundle('explain');
