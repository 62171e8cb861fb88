/**
 * Matches labels against a label selector string as the API server writes it in Scale status.selector:
 * equality-based (`a=b`, `a==b`, `a!=b`) and set-based (`a in (x,y)`, `a notin (x)`, `a`, `!a`) terms,
 * comma-separated, all of which must hold.
 */
export function matchesLabelSelector(labels: Record<string, string>, selector: string): boolean {
  if (!selector.trim()) return true;
  const terms = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return terms.every((raw) => {
    const term = raw.trim();
    let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const values = m[3]!.split(',').map((v) => v.trim());
      const has = m[1]! in labels && values.includes(labels[m[1]!]!);
      return m[2] === 'in' ? has : !has;
    }
    m = /^([^!=]+)(==|=|!=)(.*)$/.exec(term);
    if (m) return m[2] === '!=' ? labels[m[1]!.trim()] !== m[3]!.trim() : labels[m[1]!.trim()] === m[3]!.trim();
    if (term.startsWith('!')) return !(term.slice(1) in labels);
    return term in labels;
  });
}
