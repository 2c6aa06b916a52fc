import { version } from '../../package.json';

/** meshlab's version, from package.json (bundled at build time). */
export const VERSION: string = version;
