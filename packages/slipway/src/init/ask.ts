import { createInterface } from 'node:readline';

/** Questions on a terminal; an empty answer (or the end of the input) keeps the offered value. */
export interface Questions {
  ask(question: string, offered: string): Promise<string>;
  confirm(question: string, offered: boolean): Promise<boolean>;
  close(): void;
}

/**
 * Questions written to `output`, answers read line by line from `input`. Lines are queued as they come, so answers
 * typed (or piped) ahead of their question are not lost.
 */
export function terminalQuestions(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Questions {
  const rl = createInterface({ input, crlfDelay: Infinity });
  const queued: string[] = [];
  let waiting: ((line: string | null) => void) | null = null;
  let ended = false;
  rl.on('line', (line) => {
    const take = waiting;
    waiting = null;
    if (take) take(line);
    else queued.push(line);
  });
  rl.on('close', () => {
    ended = true;
    waiting?.(null);
    waiting = null;
  });
  const answer = (prompt: string): Promise<string | null> => {
    output.write(prompt);
    if (queued.length > 0) return Promise.resolve(queued.shift()!);
    if (ended) return Promise.resolve(null);
    return new Promise((resolve) => (waiting = resolve));
  };
  return {
    async ask(question, offered) {
      const line = (await answer(offered === '' ? `${question}: ` : `${question} [${offered}]: `))?.trim() ?? '';
      return line === '' ? offered : line;
    },
    async confirm(question, offered) {
      const line = (await answer(`${question} [${offered ? 'Y/n' : 'y/N'}]: `))?.trim() ?? '';
      return line === '' ? offered : /^y(es)?$/i.test(line);
    },
    close: () => rl.close(),
  };
}
