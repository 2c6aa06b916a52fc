// Build artifacts the tests use: the precompiled Istio validators and the bundled app
// (the command-line tests run it as a user would).
'use strict';
module.exports = () => {
  require('../../scripts/build').build();
};
