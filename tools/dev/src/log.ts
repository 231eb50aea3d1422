/** Labelled, coloured console output for the launcher and the processes it runs. */

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const COLORS = [36, 33, 35, 32, 34, 91, 96, 93, 95, 92];
const labelColors = new Map<string, number>();

export function color(code: number, text: string): string {
  return useColor ? `\u001b[${code}m${text}\u001b[0m` : text;
}
export const bold = (t: string) => color(1, t);
export const dim = (t: string) => color(2, t);
export const red = (t: string) => color(31, t);
export const green = (t: string) => color(32, t);
export const yellow = (t: string) => color(33, t);

export const LABEL_WIDTH = 16;

export function label(name: string): string {
  const base = name.split(':')[0] ?? name;
  let code = labelColors.get(base);
  if (code === undefined) {
    code = COLORS[labelColors.size % COLORS.length] ?? 36;
    labelColors.set(base, code);
  }
  return color(code, name.padEnd(LABEL_WIDTH).slice(0, LABEL_WIDTH)) + dim('│ ');
}

export function say(message: string): void {
  process.stdout.write(`${label('strata')}${message}\n`);
}
export function warn(message: string): void {
  process.stdout.write(`${label('strata')}${yellow(message)}\n`);
}
export function fail(message: string): void {
  process.stderr.write(`${label('strata')}${red(message)}\n`);
}
