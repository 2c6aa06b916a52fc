/** Edit distance (insertions, deletions, substitutions) between two words. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** `; did you mean "x"?` for the closest of `choices` to a misspelt `word`, or ''. */
export function didYouMean(word: string, choices: readonly string[]): string {
  const scored = choices.map((c) => [c, distance(word.toLowerCase(), c.toLowerCase())] as const).sort((x, y) => x[1] - y[1]);
  const best = scored[0];
  return best && best[1] <= Math.max(2, Math.floor(best[0].length / 3)) ? `; did you mean "${best[0]}"?` : '';
}

/**
 * What every "unknown name" message ends with: the names there are, then the closest to the
 * one given, if one is close: `(scenarios: canary, route); did you mean "canary"?`. The one
 * helper for flags, labs, scenarios, parameters and flag values, so each gets a suggestion.
 */
export function allowedNames(word: string, label: string, choices: readonly string[]): string {
  return `(${label}: ${choices.join(', ') || 'none'})${didYouMean(word, choices)}`;
}
