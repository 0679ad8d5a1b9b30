/** A terminal stdin: readable, with raw mode (echo off) when it is a TTY. */
export interface TerminalInput extends NodeJS.ReadableStream {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

const MAX_LINE = 1024;

/**
 * Reads one line from a terminal without echoing it: raw mode, so the terminal shows nothing
 * while the user types. Backspace edits; Enter ends the line; Ctrl-C or Ctrl-D on an empty
 * line, or the end of input, cancels (undefined). Bounded to 1024 characters.
 */
export function readHiddenLine(
  input: TerminalInput,
  output: NodeJS.WritableStream,
  question: string,
): Promise<string | undefined> {
  output.write(question);
  input.setRawMode?.(true);
  input.resume();
  let line = '';
  return new Promise((resolve) => {
    const finish = (value: string | undefined) => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      resolve(value);
    };
    const onEnd = () => finish(undefined);
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n') return finish(line);
        if (char === '\u0003' || (char === '\u0004' && line === '')) return finish(undefined);
        if (char === '\u007f' || char === '\b') line = [...line].slice(0, -1).join('');
        else if (char >= ' ' && line.length < MAX_LINE) line += char;
      }
    };
    input.on('data', onData);
    input.on('end', onEnd);
  });
}
