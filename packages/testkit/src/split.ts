/**
 * Splits text into exactly `parts` pieces of near-equal length whose concatenation is the text.
 * Splits between code points, so no piece carries half a surrogate pair (which JSON would
 * escape as a lone `\udXXX` and a client would turn into U+FFFD). Short texts yield empty pieces,
 * which OpenAI streams send too.
 */
export function splitText(text: string, parts: number): string[] {
  const chars = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < parts; i++) {
    const start = Math.floor((i * chars.length) / parts);
    const end = Math.floor(((i + 1) * chars.length) / parts);
    pieces.push(chars.slice(start, end).join(''));
  }
  return pieces;
}
