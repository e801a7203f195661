/**
 * The agent the video stages run: the shipped bundle (scripts/build-agent.ts `bundleAgent`), built
 * once per bench process under node_modules/.cache so its npm packages resolve from this checkout.
 * Under tsx the agent also runs tsx's module-loader thread (0.3–0.5% of a core on a still screen,
 * measured with --cpu-prof), which no customer runs.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleAgent } from '../../scripts/build-agent.ts';
import { spawnAgent, type AgentProcess } from '../../testkit/node-technician.ts';

const root = new URL('../../', import.meta.url).pathname;
let built: Promise<string> | null = null;

/** Builds the bundle (once) and returns its main.mjs; removed when the bench process exits. */
export function agentBundle(): Promise<string> {
  if (!built) {
    const dir = join(root, 'node_modules', '.cache', `rr-bench-agent-${process.pid}`);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    built = bundleAgent(dir);
  }
  return built;
}

/** The shipped agent with these arguments (as testkit's spawnAgent, which runs agent/main.ts under tsx). */
export async function spawnBundledAgent(args: string[]): Promise<AgentProcess> {
  return spawnAgent([await agentBundle(), ...args], {}, { command: process.execPath });
}
