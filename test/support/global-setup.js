// The precompiled Istio validators are a build artifact: make sure they exist before tests.
'use strict';
module.exports = () => {
  require('../../scripts/istio-validators').ensureIstioValidators();
};
