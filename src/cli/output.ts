/** One line of command output on stdout. Its own module: `ccrx stop` must not load the gateway to print a line. */
export const say = (line: string) => void process.stdout.write(`${line}\n`);
