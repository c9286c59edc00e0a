/**
 * `text` cut to at most `max` characters, saying how long it was: reasons, headers and log
 * lines quote input this way, so no input can make them large.
 */
export function boundedText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length} characters)`;
}
