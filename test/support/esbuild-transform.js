// Jest transform: strips types with esbuild (tsc --noEmit already type-checked everything).
'use strict';
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, { loader: 'ts', format: 'cjs', target: 'node20', sourcemap: 'external', sourcefile: filename });
    return { code, map };
  },
};
