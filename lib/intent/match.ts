/** A condition on a request; several in one route must all hold. */
export class Match {
  /** The path starts with `prefix`. */
  public static prefix(prefix: string): Match {
    return new Match('prefix', prefix, undefined, `path starts with ${prefix}`);
  }

  /** The path is exactly `path`. */
  public static exact(path: string): Match {
    return new Match('exact', path, undefined, `path is ${path}`);
  }

  /** Header `name` matches the RE2 regular expression `regex` (header names are lower-cased by Envoy). */
  public static header(name: string, regex: string): Match {
    return new Match('header', regex, name.toLowerCase(), `${name.toLowerCase()} matches ${regex}`);
  }

  private constructor(
    /** What is compared: the path (by prefix or exactly) or a header (by RE2 regex). */
    public readonly kind: 'prefix' | 'exact' | 'header',
    /** The path prefix, the exact path, or the header's regular expression. */
    public readonly value: string,
    /** The header name, lower-case, for a header match. */
    public readonly header: string | undefined,
    /** A reader's description, for guides and errors. */
    public readonly description: string,
  ) {}
}
