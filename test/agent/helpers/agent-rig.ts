import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerSession } from '../../../rtc/peer-session.ts';
import { startTestServer, type RunningServer } from '../../../testkit/server.ts';
import { createNodeTechnician, spawnAgent, type AgentProcess, type NodeTechnician } from '../../../testkit/node-technician.ts';
import { startXvfb, type TestXvfb } from '../../../testkit/xvfb.ts';

/** Xvfb, a real server, a Node technician and the agent process in one session, its peer connection up. */
export interface AgentRig {
  xvfb: TestXvfb;
  server: RunningServer;
  tech: NodeTechnician;
  agent: AgentProcess;
  peer: PeerSession;
  /** The agent's download folder (a fresh temporary one). */
  downloads: string;
  /** Stops everything and removes the download folder. */
  close(): Promise<void>;
}

export interface AgentRigOptions {
  width: number;
  height: number;
  /** Agent options beyond --server, --code, --display and --download-dir. */
  args: string[];
  /** Runs on the display before the agent starts (draw, open windows). */
  prepare?: (xvfb: TestXvfb) => Promise<void> | void;
}

export async function startAgentRig(opts: AgentRigOptions): Promise<AgentRig> {
  const xvfb = await startXvfb(opts.width, opts.height);
  await opts.prepare?.(xvfb);
  const server = await startTestServer();
  const tech = await createNodeTechnician(server);
  const downloads = mkdtempSync(join(tmpdir(), 'rr-agent-dl-'));
  const agent = spawnAgent(['--server', server.url, '--code', tech.code, '--display', xvfb.display, '--download-dir', downloads, ...opts.args]);
  await agent.waitLine(/Connected to session/);
  const peer = await tech.activate();
  return {
    xvfb,
    server,
    tech,
    agent,
    peer,
    downloads,
    close: async () => {
      tech.close();
      await agent.kill();
      await server.close();
      await xvfb.stop();
      rmSync(downloads, { recursive: true, force: true });
    },
  };
}
