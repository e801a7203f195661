import { spawnSync } from 'node:child_process';

/** A program the agent runs but does not carry, with the Debian/Ubuntu package that has it. */
interface SystemTool {
  commands: readonly string[];
  debianPackage: string;
  without: string;
}

/**
 * The single-file applet carries Node and its native addons, not these: ffmpeg
 * (fast screen capture) and xclip (clipboard; xsel works too). Each stays a
 * system package, so a missing one gets a plain-words line naming it.
 */
export const SYSTEM_TOOLS: readonly SystemTool[] = [
  { commands: ['ffmpeg'], debianPackage: 'ffmpeg', without: 'the screen is shared more slowly and with more processor load' },
  { commands: ['xclip', 'xsel'], debianPackage: 'xclip', without: 'the clipboard cannot be shared with your technician' },
];

const installed = (command: string): boolean => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' }).status === 0;

/** One line per missing tool: what does not work and how to install it. */
export function missingToolMessages(has: (command: string) => boolean = installed): string[] {
  return SYSTEM_TOOLS.filter((tool) => !tool.commands.some(has)).map(
    (tool) => `${tool.commands[0]} is not installed, so ${tool.without}. To fix it, install the "${tool.debianPackage}" package (sudo apt install ${tool.debianPackage}) and start the support app again.`,
  );
}
