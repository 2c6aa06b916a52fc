/**
 * A mistake of the person running meshlab (a flag, a parameter, a combination of
 * scenarios): reported as one line, never with a stack trace.
 */
export class MeshlabError extends Error {}
